"""E-mails to users. Sent after the transaction commits so a rollback sends nothing."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation


def notify(*, user, subject, body, params: dict | None = None) -> None:
    """Subject and body are lazy translations (gettext_lazy), written in the recipient's language
    (their profile's, else the site's) and then filled with params."""
    if not user.email:
        return
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject, body = str(subject), str(body)
        if params is not None:
            params = {key: str(value) for key, value in params.items()}
            subject, body = subject % params, body % params
    transaction.on_commit(
        lambda: send_mail(
            subject=f"[PixGen] {subject}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
            fail_silently=True,
        )
    )
