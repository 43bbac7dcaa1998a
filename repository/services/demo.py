"""The demo set and one account per role, for a fresh machine. Idempotent: run it twice and
nothing is duplicated."""

import contextlib
import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from repository.models import LesionImage, User
from repository.services.accounts import (
    api_token_issue,
    api_token_revoke,
    clinician_apply,
    clinician_decide,
    data_terms_accept,
)
from repository.services.batch_import import batch_import
from repository.services.moderation import image_publish

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo_data"
# A few images stay pending so the moderation queue has work in it.
PENDING_IN_DEMO = 3


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


DEMO_ACCOUNTS = [
    DemoAccount("moderator", "pixgen-moderator", "moderator"),
    DemoAccount("clinician", "pixgen-clinician", "contributor (verified clinician)"),
    DemoAccount("reviewer", "pixgen-reviewer", "reviewer (dermatologist SME)"),
    # Publishing a synthetic image takes two independent reviews (PIXGEN_REVIEWS_REQUIRED).
    DemoAccount("reviewer2", "pixgen-reviewer2", "second reviewer (dermatologist SME)"),
    DemoAccount("researcher", "pixgen-researcher", "researcher (API token)"),
    DemoAccount("applicant", "pixgen-applicant", "unverified user with a pending application"),
]


DEMO_REVIEWERS = ("reviewer", "reviewer2")
DEMO_TOKEN_NAME = "demo console"


def _account(spec: DemoAccount) -> User:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = User.objects.create_user(
            username=spec.username,
            email=f"{spec.username}@demo.pixgen.invalid",
            password=spec.password,
            first_name=spec.username.capitalize(),
        )
    return user


def _clinician(user: User, moderator: User | None, *, verify: bool) -> None:
    if hasattr(user, "clinician_application"):
        return
    application = clinician_apply(
        user=user,
        licence_number=f"DEMO-{user.pk:05d}",
        issuing_authority="Demo Medical Council",
        country="Demo",
        institution="PixGen Demo Hospital",
        specialty="Dermatology",
    )
    if verify:
        clinician_decide(application=application, moderator=moderator, approve=True)


@transaction.atomic
def demo_accounts() -> dict[str, User]:
    users = {spec.username: _account(spec) for spec in DEMO_ACCOUNTS}
    moderator = users["moderator"]
    if not moderator.is_moderator:
        moderator.is_moderator = moderator.is_staff = True
        moderator.save(update_fields=["is_moderator", "is_staff"])
    for name in DEMO_REVIEWERS:
        reviewer = users[name]
        if not reviewer.is_reviewer:
            reviewer.is_reviewer = True
            reviewer.save(update_fields=["is_reviewer"])
    _clinician(users["clinician"], moderator, verify=True)
    for name in DEMO_REVIEWERS:
        _clinician(users[name], moderator, verify=True)
    _clinician(users["applicant"], moderator, verify=False)
    if not users["researcher"].is_researcher:
        data_terms_accept(user=users["researcher"])
    return users


def demo_researcher_token(*, researcher: User) -> str:
    """A fresh API token for the console (keys are stored hashed, so an old one cannot be
    shown again); the previous console token is revoked."""
    for token in researcher.api_tokens.active().filter(name=DEMO_TOKEN_NAME):
        api_token_revoke(token=token, user=researcher)
    return api_token_issue(user=researcher, name=DEMO_TOKEN_NAME)[1]


def demo_images(
    *, contributor: User, moderator: User, demo_dir: Path = DEMO_DIR
) -> tuple[int, int]:
    """Import the shipped demo set through the ordinary batch service; publish all but a few."""
    files = {p.name: p.open("rb") for p in (demo_dir / "images").iterdir()}
    try:
        report = batch_import(
            contributor=contributor,
            csv_data=(demo_dir / "metadata.csv").read_bytes(),
            files=files,
            modality="dermoscopic",
            licence="CC-BY-NC-4.0",
            consent_attested=True,
            diagnosis_confirmation="histopathology",
            source_note="HAM10000 (Tschandl et al. 2018), CC BY-NC 4.0",
        )
    finally:
        for fh in files.values():
            fh.close()
    created = [row.image_pk for row in report.rows if row.ok]
    for pk in created[:-PENDING_IN_DEMO] if len(created) > PENDING_IN_DEMO else []:
        image = LesionImage.objects.get(pk=pk)
        with contextlib.suppress(ValidationError):  # already decided by an earlier run
            image_publish(image=image, moderator=moderator)
    duplicates = sum(1 for row in report.rows if not row.ok and "already" in " ".join(row.errors))
    return len(created), duplicates


def demo_rows(demo_dir: Path = DEMO_DIR) -> list[dict]:
    with open(demo_dir / "metadata.csv", newline="") as fh:
        return list(csv.DictReader(fh))
