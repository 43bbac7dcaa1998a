from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.http import url_has_allowed_host_and_scheme


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


def is_local_url(request, target: str) -> bool:
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def local_next(request, default: str) -> str:
    """The `next` a form posted back, if it is a URL on this site; `default` otherwise. Every
    view that follows a `next` uses this, so none redirects off-site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if is_local_url(request, target) else default
