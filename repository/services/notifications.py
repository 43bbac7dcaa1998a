"""E-mails to users. Sent after the transaction commits so a rollback sends nothing."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction


def notify(*, user, subject: str, body: str) -> None:
    if not user.email:
        return
    transaction.on_commit(
        lambda: send_mail(
            subject=f"[PixGen] {subject}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
            fail_silently=True,
        )
    )
