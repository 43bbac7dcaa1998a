"""Corrections to an image's metadata, kept as history (who, when, what, why). A change to a
label that dermatologists relied on when they reviewed a synthetic image of it (its diagnosis:
"diagnostic features preserved" was judged against it) sends that synthetic image back to
review; its earlier reviews are kept in the revision and leave the review tables, so a new
round starts clean."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from repository.models import LesionImage, MetadataRevision, User
from repository.services.catalogue_counts import catalogue_change
from repository.services.metadata import ImageMetadata
from repository.services.permissions import require_authenticated

EDITABLE = (
    "diagnosis",
    "diagnosis_confirmation",
    "fitzpatrick",
    "monk_tone",
    "modality",
    "body_site",
    "age_bin",
    "sex",
    "lesion_identifier",
)
# Labels a synthetic image copies from its source, and those its reviews relied on.
COPIED = ("diagnosis", "body_site", "age_bin", "sex")
REVIEWED = ("diagnosis",)


def _current(image: LesionImage) -> dict:
    return {
        "diagnosis": image.diagnosis,
        "diagnosis_confirmation": image.diagnosis_confirmation,
        "fitzpatrick": image.fitzpatrick,
        "monk_tone": image.monk_tone,
        "modality": image.modality,
        "body_site": image.body_site,
        "age_bin": image.age_bin,
        "sex": image.sex,
        "lesion_identifier": image.lesion_identifier,
    }


def _plain(value):
    return value.code if hasattr(value, "code") else value


def image_metadata_update(
    *, image: LesionImage, user: User, changes: dict, reason: str = ""
) -> MetadataRevision:
    """Apply `changes` (field -> new value) to the image's metadata and record the revision."""
    require_authenticated(user)
    if not (user.is_moderator or image.contributor_id == user.pk):
        raise PermissionDenied(_("Only the contributor or a moderator can correct this image."))
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            {"__all__": _("These fields cannot be changed: %(f)s.") % {"f": ", ".join(unknown)}}
        )
    if image.status in (LesionImage.Status.REJECTED, LesionImage.Status.WITHDRAWN):
        raise ValidationError(_("A rejected or withdrawn image cannot be corrected."))
    before = _current(image)
    merged = {**before, **changes}
    values = ImageMetadata(
        licence=image.licence,
        consent_attested=True,
        source_note=image.source_note,
        request=None,
        **merged,
    ).cleaned()
    diff = {
        name: {"from": _plain(before[name]), "to": _plain(values[name])}
        for name in EDITABLE
        if _plain(before[name]) != _plain(values[name])
    }
    if not diff:
        raise ValidationError(_("Nothing changed."))
    published = image.moderated_at is not None and image.status == LesionImage.Status.PUBLIC
    reason = (reason or "").strip()
    if published and not reason:
        raise ValidationError({"reason": _("Say why a published image's metadata changes.")})
    with transaction.atomic(), catalogue_change(real=[image.pk]):
        locked = LesionImage.objects.select_for_update().get(pk=image.pk)
        if {n: _plain(v) for n, v in _current(locked).items()} != {
            n: _plain(v) for n, v in before.items()
        }:
            raise ValidationError(_("Someone changed this image meanwhile; reload and retry."))
        for name in diff:
            setattr(locked, name, values[name])
        locked.save(update_fields=[*diff, "updated_at"])
        revision = MetadataRevision.objects.create(
            image=locked,
            changed_by=user,
            changes=diff,
            reason=reason,
            after_publication=published,
        )
        _follow_synthetic(locked, diff, revision)
    image.refresh_from_db()
    return revision


def _follow_synthetic(image: LesionImage, diff: dict, revision: MetadataRevision) -> None:
    """Synthetic images of this source take the new labels; those whose review relied on a
    changed label go back to review (rejected ones stay rejected)."""
    from synthesis.models import Review, SyntheticImage

    derived = SyntheticImage.objects.select_for_update().filter(source_image=image)
    copied = {name: getattr(image, name) for name in COPIED if name in diff}
    if copied:
        derived.update(**copied)
    if not any(name in diff for name in REVIEWED):
        return
    # A rejected image stays rejected: nothing of it is published.
    affected = list(
        derived.exclude(status=SyntheticImage.Status.REJECTED).values_list("pk", flat=True)
    )
    reviews = Review.objects.filter(synthetic_id__in=affected)
    revision.superseded_reviews = [
        {
            "synthetic": r.synthetic_id,
            "reviewer": r.reviewer.username,
            "decision": r.decision,
            "realism": r.realism,
            "tone_correct": r.tone_correct,
            "features_preserved": r.features_preserved,
            "comment": r.comment,
            "created_at": r.created_at.isoformat(),
        }
        for r in reviews.select_related("reviewer").order_by("synthetic_id", "id")
    ]
    reviews.delete()
    SyntheticImage.objects.filter(pk__in=affected).update(
        status=SyntheticImage.Status.PENDING_REVIEW
    )
    revision.sent_back_for_review = sorted(affected)
    revision.save(update_fields=["superseded_reviews", "sent_back_for_review"])
