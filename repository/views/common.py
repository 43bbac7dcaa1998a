from django.core.exceptions import PermissionDenied, ValidationError


def apply_errors(
    form, exc: ValidationError | PermissionDenied, *, aliases: dict[str, str] | None = None
) -> None:
    """Attach a service's error to the form: each message to the field it names (or that
    field's name on this form, by `aliases`), else to the form as a whole. Every page with a
    form uses this one."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            field = (aliases or {}).get(name, name)
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, str(exc))
