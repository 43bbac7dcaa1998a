"""Blinded review, a visual Turing test: a reviewer sees real public images and synthetic
ones mixed and unlabelled, and says which is which (and scores them as usual)."""

import io
import random
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from repository.models import LesionImage
from synthesis.ml.fitzpatrick import group_of
from synthesis.models import BlindJudgement, BlindSession, SyntheticImage
from synthesis.services.review import quality_scores, require_reviewer

MIN_SIZE, MAX_SIZE = 2, 100


def blind_candidates(*, reviewer) -> tuple[dict[int, str], dict[int, str]]:
    """The real and the synthetic images a reviewer may be shown blind: id -> tone group.

    Only images with a Fitzpatrick type take part: a session pairs like with like, so an
    image whose tone group is unknown cannot be placed."""
    synthetic = (
        SyntheticImage.objects.filter(
            status__in=[SyntheticImage.Status.PENDING_REVIEW, SyntheticImage.Status.APPROVED],
            fitzpatrick__isnull=False,
        )
        .exclude(created_by=reviewer)
        .exclude(Q(job__isnull=False) & Q(job__created_by=reviewer))
        .order_by("id")
        .values_list("id", "fitzpatrick")
    )
    # Their own uploads a reviewer would recognise.
    real = (
        LesionImage.objects.public()
        .filter(fitzpatrick__isnull=False)
        .exclude(contributor=reviewer)
        .order_by("id")
        .values_list("id", "fitzpatrick")
    )
    return (
        {pk: group_of(fitz) for pk, fitz in real},
        {pk: group_of(fitz) for pk, fitz in synthetic},
    )


def blind_compose(
    *,
    seed: int,
    size: int,
    real: dict[int, str],
    synthetic: dict[int, str],
    sources: dict[int, int],
) -> list[tuple[str, int]]:
    """Half real, half synthetic, shuffled by the seed; the same seed gives the same list.

    `real` and `synthetic` map ids to Fitzpatrick groups (I-II, III-IV, V-VI). Every synthetic
    image comes with a real one of the same group, so skin colour alone never tells them
    apart (pale real photographs beside brown synthetic ones test nothing). A synthetic
    image's own source is never shown in its session (same lesion, other tone)."""
    rng = random.Random(seed)
    half = size // 2
    if len(synthetic) < half:
        raise ValidationError(
            _("Too few synthetic images for a session of %(size)s: %(n)s available.")
            % {"size": size, "n": len(synthetic)}
        )
    pools = {}
    used_as_source = {sources.get(pk) for pk in synthetic} - {None}
    for group in sorted(set(synthetic.values()) & set(real.values())):
        synth = sorted(pk for pk, g in synthetic.items() if g == group)
        reals = sorted(pk for pk, g in real.items() if g == group)
        rng.shuffle(synth)
        rng.shuffle(reals)
        # Real images that are nobody's source first: one shown early would rule its own
        # derivatives out of the session later.
        reals.sort(key=lambda pk: pk in used_as_source)
        pools[group] = (synth, reals)
    pairs: list[tuple[int, int]] = []
    shown_real: set[int] = set()
    taken_sources: set[int] = set()
    # Groups take turns, one pair each, so a session spans every group that has both kinds.
    while len(pairs) < half:
        added = False
        for group in sorted(pools, key=lambda _g: rng.random()):
            if len(pairs) == half:
                break
            synth, reals = pools[group]
            pair = _next_pair(synth, reals, sources, shown_real, taken_sources)
            if pair is not None:
                pairs.append(pair)
                shown_real.add(pair[1])
                if sources.get(pair[0]):
                    taken_sources.add(sources[pair[0]])
                added = True
        if not added:
            break
    if len(pairs) < half:
        raise ValidationError(
            _(
                "Too few public real images of the same skin tone as the synthetic ones for a "
                "session of %(size)s: %(n)s matched pairs available (Fitzpatrick I-II, III-IV "
                "and V-VI are matched separately)."
            )
            % {"size": size, "n": len(pairs)}
        )
    items = [("real", r) for _s, r in pairs] + [("synthetic", s) for s, _r in pairs]
    rng.shuffle(items)
    return items


def _next_pair(synth, reals, sources, shown_real, taken_sources) -> tuple[int, int] | None:
    """The next synthetic image of a group with a real one to show beside it, or None."""
    while synth:
        candidate = synth[0]
        source = sources.get(candidate)
        if source in shown_real:  # its source is already in the session
            synth.pop(0)
            continue
        for i, real_pk in enumerate(reals):
            if real_pk not in taken_sources and real_pk != source:
                synth.pop(0)
                reals.pop(i)
                return candidate, real_pk
        return None
    return None


def _size(size) -> int:
    try:
        size = int(size)
    except (TypeError, ValueError):
        size = None
    if size is None or not MIN_SIZE <= size <= MAX_SIZE or size % 2:
        raise ValidationError(
            {
                "size": _("Choose an even number of images from %(min)s to %(max)s.")
                % {"min": MIN_SIZE, "max": MAX_SIZE}
            }
        )
    return size


def blind_session_start(*, reviewer, size, seed: int | None = None) -> BlindSession:
    """Draw a blinded session for a reviewer: a 50/50 mix, shuffled deterministically by seed."""
    require_reviewer(reviewer)
    size = _size(size)
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    real, synthetic = blind_candidates(reviewer=reviewer)
    sources = dict(
        SyntheticImage.objects.filter(pk__in=list(synthetic)).values_list("id", "source_image_id")
    )
    items = blind_compose(seed=seed, size=size, real=real, synthetic=synthetic, sources=sources)
    with transaction.atomic():
        session = BlindSession.objects.create(reviewer=reviewer, size=size, seed=seed)
        BlindJudgement.objects.bulk_create(
            BlindJudgement(
                session=session,
                position=position,
                real_image_id=pk if kind == "real" else None,
                synthetic_id=pk if kind == "synthetic" else None,
            )
            for position, (kind, pk) in enumerate(items, start=1)
        )
    return session


def _scores(*, said_real, realism, tone_correct, features_preserved) -> dict:
    realism, errors = quality_scores(
        realism=realism, tone_correct=tone_correct, features_preserved=features_preserved
    )
    if not isinstance(said_real, bool):
        errors["said_real"] = _("Say whether the image is real or synthetic.")
    if errors:
        raise ValidationError(errors)
    return dict(
        said_real=said_real,
        realism=realism,
        tone_correct=tone_correct,
        features_preserved=features_preserved,
    )


def blind_judgement_submit(
    *, judgement: BlindJudgement, reviewer, said_real, realism, tone_correct, features_preserved
) -> BlindJudgement:
    """Record the reviewer's call on one image of their own session, once."""
    require_reviewer(reviewer)
    if judgement.session.reviewer_id != reviewer.pk:
        raise PermissionDenied(_("This blinded session belongs to another reviewer."))
    values = _scores(
        said_real=said_real,
        realism=realism,
        tone_correct=tone_correct,
        features_preserved=features_preserved,
    )
    now = timezone.now()
    with transaction.atomic():
        # A conditional UPDATE: a second submission (or a double click) changes nothing.
        claimed = BlindJudgement.objects.filter(pk=judgement.pk, said_real__isnull=True).update(
            judged_at=now, **values
        )
        if not claimed:
            raise ValidationError(_("You have already judged this image."))
        if not BlindJudgement.objects.filter(session=judgement.session_id).pending().exists():
            BlindSession.objects.filter(pk=judgement.session_id, finished_at__isnull=True).update(
                finished_at=now
            )
    judgement.refresh_from_db()
    return judgement


def blind_session_next(*, session: BlindSession) -> BlindJudgement | None:
    """The next image of the session still to judge, in order; None once all are judged."""
    return session.judgements.pending().order_by("position").first()


def blind_session_summary(*, session: BlindSession) -> dict:
    """How the reviewer did, shown once the session is finished."""
    judged = list(session.judgements.judged())
    synthetic = [j for j in judged if not j.is_real]
    return {
        "judged": len(judged),
        "correct": sum(bool(j.correct) for j in judged),
        "synthetic": len(synthetic),
        "synthetic_taken_for_real": sum(bool(j.said_real) for j in synthetic),
    }


BLIND_SIDE = 512


def blind_image_bytes(*, judgement: BlindJudgement) -> bytes:
    """The judged image re-encoded the same way whatever its origin (JPEG, longer side
    BLIND_SIDE, no metadata), so neither format, size nor file name gives the answer away."""
    with default_storage.open(judgement.stored_name(), "rb") as fh:
        image = Image.open(io.BytesIO(fh.read())).convert("RGB")
    scale = BLIND_SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    out = io.BytesIO()
    image.resize(size, Image.Resampling.LANCZOS).save(out, format="JPEG", quality=92)
    return out.getvalue()
