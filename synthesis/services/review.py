"""Dermatologist review of synthetic images: independent reviews, the publication rule, and
a moderator settling the items reviewers disagreed on."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from repository.services.catalogue_counts import catalogue_change
from repository.services.permissions import require_authenticated
from synthesis.models import Review, ReviewSettlement, SyntheticImage

PUBLISH_RULES = ("all", "majority")


def reviews_required() -> int:
    return max(1, int(settings.PIXGEN_REVIEWS_REQUIRED))


def publish_rule() -> str:
    rule = settings.PIXGEN_REVIEW_PUBLISH_RULE
    return rule if rule in PUBLISH_RULES else "all"


def require_reviewer(user) -> None:
    require_authenticated(user)
    if not user.is_reviewer:
        raise PermissionDenied(_("Reviewing synthetic images needs the reviewer role."))


def started_by(synthetic: SyntheticImage, user) -> bool:
    """Whether the user started the job (or the run) that made this image."""
    if synthetic.created_by_id == user.pk:
        return True
    return synthetic.job_id is not None and synthetic.job.created_by_id == user.pk


def review_queue(*, user, method: str = "", fitzpatrick: int | None = None, diagnosis: str = ""):
    """Pending images this reviewer may still review, oldest first."""
    require_reviewer(user)
    images = (
        SyntheticImage.objects.pending_review()
        .exclude(reviews__reviewer=user)
        .exclude(created_by=user)
        .exclude(Q(job__isnull=False) & Q(job__created_by=user))
        .select_related("diagnosis")
        .order_by("created_at", "id")
    )
    if method:
        images = images.filter(method=method)
    if fitzpatrick:
        images = images.filter(fitzpatrick=fitzpatrick)
    if diagnosis:
        images = images.filter(diagnosis__code=diagnosis)
    return images


def review_queue_next(*, user, after: SyntheticImage | None = None, **filters):
    images = review_queue(user=user, **filters)
    if after is not None:
        images = images.filter(
            Q(created_at__gt=after.created_at) | Q(created_at=after.created_at, id__gt=after.pk)
        )
    return images.first()


def review_in_queue(*, user, pk: int) -> bool:
    """Whether the item is still in this reviewer's queue (not decided, not their own job's,
    not reviewed by them): only such an item's page opens, so nobody peeks at the others."""
    return review_queue(user=user).filter(pk=pk).exists()


def review_queue_position(*, user, synthetic: SyntheticImage, **filters) -> tuple[int | None, int]:
    """("x", "of N"): where the item stands in the reviewer's filtered queue, oldest first,
    and the queue's length; x is None when the item is not in that queue."""
    queue = review_queue(user=user, **filters)
    total = queue.count()
    if not queue.filter(pk=synthetic.pk).exists():
        return None, total
    before = queue.filter(
        Q(created_at__lt=synthetic.created_at)
        | Q(created_at=synthetic.created_at, id__lt=synthetic.pk)
    ).count()
    return before + 1, total


def review_following(*, user, after: SyntheticImage, **filters) -> SyntheticImage | None:
    """The item a reviewer sees after this one: the next in their queue, wrapping round to
    the first; None when the queue is empty."""
    following = review_queue_next(user=user, after=after, **filters)
    return following or review_queue_next(user=user, **filters)


def outcome(decisions: list[bool], *, required: int, rule: str) -> str:
    """The status a set of approve (True) / reject (False) decisions gives an item."""
    if len(decisions) < required:
        return SyntheticImage.Status.PENDING_REVIEW
    approvals, rejections = decisions.count(True), decisions.count(False)
    if rule == "majority":
        if approvals == rejections:
            return SyntheticImage.Status.DISPUTED
        return (
            SyntheticImage.Status.APPROVED
            if approvals > rejections
            else SyntheticImage.Status.REJECTED
        )
    if not rejections:
        return SyntheticImage.Status.APPROVED
    if not approvals:
        return SyntheticImage.Status.REJECTED
    return SyntheticImage.Status.DISPUTED


def quality_scores(*, realism, tone_correct, features_preserved) -> tuple[int | None, dict]:
    """The scores every review gives, open or blinded: (realism as an int, field errors)."""
    errors = {}
    try:
        realism = int(realism)
    except (TypeError, ValueError):
        realism = None
    if realism is None or not 1 <= realism <= 5:
        errors["realism"] = _("Realism is a score from 1 to 5.")
    if not isinstance(tone_correct, bool):
        errors["tone_correct"] = _("Say whether the skin tone is correct.")
    if not isinstance(features_preserved, bool):
        errors["features_preserved"] = _("Say whether the diagnostic features are preserved.")
    return realism, errors


def _scores(*, decision: str, realism, tone_correct, features_preserved, comment: str) -> dict:
    realism, errors = quality_scores(
        realism=realism, tone_correct=tone_correct, features_preserved=features_preserved
    )
    if decision not in Review.Decision.values:
        errors["decision"] = _("Choose approve or reject.")
    comment = (comment or "").strip()
    if decision == Review.Decision.REJECT and not comment:
        errors["comment"] = _("A comment is required when you reject an image.")
    if errors:
        raise ValidationError(errors)
    return dict(
        decision=decision,
        realism=realism,
        tone_correct=tone_correct,
        features_preserved=features_preserved,
        comment=comment,
    )


def review_submit(
    *,
    synthetic: SyntheticImage,
    reviewer,
    decision: str,
    realism,
    tone_correct,
    features_preserved,
    comment: str = "",
) -> Review:
    """Record one independent review; once enough are in, publish, reject or dispute the item."""
    require_reviewer(reviewer)
    values = _scores(
        decision=decision,
        realism=realism,
        tone_correct=tone_correct,
        features_preserved=features_preserved,
        comment=comment,
    )
    with transaction.atomic():
        # Lock the item so two reviews arriving together count against one another.
        item = (
            SyntheticImage.objects.select_for_update(of=("self",))
            .select_related("job")
            .get(pk=synthetic.pk)
        )
        if started_by(item, reviewer):
            raise PermissionDenied(_("You cannot review the output of a job you started."))
        if Review.objects.filter(synthetic=item, reviewer=reviewer).exists():
            raise ValidationError(_("You have already reviewed this image."))
        if item.status != SyntheticImage.Status.PENDING_REVIEW:
            raise ValidationError(
                _("This image has already been decided (%(status)s).")
                % {"status": item.get_status_display()}
            )
        try:
            with transaction.atomic():
                review = Review.objects.create(synthetic=item, reviewer=reviewer, **values)
        except IntegrityError:
            raise ValidationError(_("You have already reviewed this image.")) from None
        decisions = [r.approves for r in item.reviews.all()]
        status = outcome(decisions, required=reviews_required(), rule=publish_rule())
        if status != item.status:
            with catalogue_change(synthetic=[item.pk]):
                SyntheticImage.objects.filter(pk=item.pk).update(status=status)
    synthetic.status = status
    return review


def conflicted(synthetic: SyntheticImage, user) -> bool:
    """Whether the user may not judge this item: they made it, started its job, or already
    gave it a review (a moderator who reviewed would be settling their own dispute)."""
    return started_by(synthetic, user) or synthetic.reviews.filter(reviewer=user).exists()


def require_moderator_for_disputes(user) -> None:
    require_authenticated(user)
    if not user.is_moderator:
        raise PermissionDenied(_("Settling disputed reviews needs the moderator role."))


def disputed_queue(*, user):
    """Disputed items this moderator may settle: the same conflict-of-interest rule as the
    review queue leaves out what they made, started or reviewed."""
    require_moderator_for_disputes(user)
    return (
        SyntheticImage.objects.filter(status=SyntheticImage.Status.DISPUTED)
        .exclude(reviews__reviewer=user)
        .exclude(created_by=user)
        .exclude(Q(job__isnull=False) & Q(job__created_by=user))
        .select_related("diagnosis")
        .prefetch_related("reviews__reviewer")
        .order_by("created_at", "id")
    )


def review_settle(
    *, synthetic: SyntheticImage, moderator, decision: str, comment: str
) -> ReviewSettlement:
    """A moderator's final decision on an item its reviewers disagreed on."""
    require_moderator_for_disputes(moderator)
    errors = {}
    if decision not in ReviewSettlement.Decision.values:
        errors["decision"] = _("Choose approve or reject.")
    if not (comment or "").strip():
        errors["comment"] = _("Say why, for the audit trail.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = SyntheticImage.objects.select_related("job").get(pk=synthetic.pk)
        if conflicted(item, moderator):
            raise PermissionDenied(
                _(
                    "You made this image, started its job or reviewed it: another moderator "
                    "settles it (conflict of interest)."
                )
            )
        with catalogue_change(synthetic=[synthetic.pk]):
            claimed = SyntheticImage.objects.filter(
                pk=synthetic.pk, status=SyntheticImage.Status.DISPUTED
            ).update(
                status=SyntheticImage.Status.APPROVED
                if decision == ReviewSettlement.Decision.APPROVE
                else SyntheticImage.Status.REJECTED
            )
        if not claimed:
            raise ValidationError(_("This image is not awaiting a moderator's decision."))
        settlement = ReviewSettlement.objects.create(
            synthetic=synthetic, moderator=moderator, decision=decision, comment=comment.strip()
        )
    synthetic.refresh_from_db(fields=["status"])
    return settlement
