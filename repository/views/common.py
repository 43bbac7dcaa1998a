from django.core.exceptions import ValidationError


def apply_errors(form, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form: to the named field when it has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
