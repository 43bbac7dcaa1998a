"""Every skin-tone label of an image with its source, and how the sources agree.

Sources, side by side and never overwriting one another: the contributing clinician's
Fitzpatrick type and Monk tone (on the image, which coverage counts), an optional patient
self-report (six questionnaire answers and/or the type), other raters' labels (a reviewer or a
second clinician), and the measured estimate with its method version (analysis)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from repository.models import LesionImage, ToneLabel, User
from repository.numbers import ascii_whole
from repository.tone_questionnaire import check_answers, questionnaire_type
from synthesis.ml.fitzpatrick import GROUPS, TYPES, group_of, parse_type
from synthesis.services.review_metrics import cohen_kappa, weighted_kappa


def _fitzpatrick(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        return parse_type(value)
    except ValueError:
        raise ValidationError({"fitzpatrick": _("Give a Fitzpatrick type 1–6 or I–VI.")}) from None


def _monk(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    number = ascii_whole(text)
    if number is None or not 1 <= number <= 10:
        raise ValidationError({"monk_tone": _("Give a Monk skin tone 1–10.")})
    return number


def tone_label_add(
    *, image: LesionImage, user: User, fitzpatrick=None, monk_tone=None
) -> ToneLabel:
    """A reviewer, a moderator or a clinician other than the contributor gives their own label
    (giving it again replaces only their own)."""
    if image.contributor_id == user.pk:
        raise PermissionDenied(
            _("Your label as the contributor is the image's own; another rater adds theirs here.")
        )
    if not (user.is_reviewer or user.is_moderator or user.is_verified_clinician):
        raise PermissionDenied(_("Only clinicians, reviewers and moderators rate skin tone."))
    if not image.can_be_seen_by(user):
        raise PermissionDenied(_("You cannot see this image."))
    fitz, monk = _fitzpatrick(fitzpatrick), _monk(monk_tone)
    if fitz is None and monk is None:
        raise ValidationError(_("Give a Fitzpatrick type, a Monk tone or both."))
    label, _created = ToneLabel.objects.update_or_create(
        image=image,
        rater=user,
        source=ToneLabel.Source.RATER,
        defaults={"fitzpatrick": fitz, "monk_tone": monk},
    )
    return label


def tone_self_report_set(
    *, image: LesionImage, user: User, answers: dict | None = None, fitzpatrick=None
) -> ToneLabel:
    """The patient's self-report, entered by the contributor or a moderator: the six
    questionnaire answers, the type the patient states, or both (a stated type is kept as
    stated; the answers' type is shown beside it)."""
    if not (user.is_moderator or image.contributor_id == user.pk):
        raise PermissionDenied(_("Only the contributor or a moderator enters the self-report."))
    stated = _fitzpatrick(fitzpatrick)
    clean = {}
    if answers:
        try:
            clean = check_answers(answers)
        except ValueError as exc:
            raise ValidationError({"answers": str(exc)}) from None
    if stated is None and not clean:
        raise ValidationError(_("Give the six questionnaire answers, the type, or both."))
    with transaction.atomic():
        label, _created = ToneLabel.objects.update_or_create(
            image=image,
            source=ToneLabel.Source.SELF_REPORT,
            defaults={
                "rater": user,
                "fitzpatrick": stated if stated is not None else questionnaire_type(clean),
                "questionnaire": {"answers": clean, "stated_type": stated} if clean else {},
            },
        )
    return label


@dataclass(frozen=True)
class ToneRow:
    """One source's label for display and the API."""

    source: str
    label: str
    fitzpatrick: int | None
    monk_tone: int | None
    rater: str
    detail: str


def tone_labels_side_by_side(*, image: LesionImage) -> list[ToneRow]:
    rows = [
        ToneRow(
            "clinician",
            _("Contributing clinician"),
            image.fitzpatrick,
            image.monk_tone,
            image.contributor.username,
            "",
        )
    ]
    for label in image.tone_labels.select_related("rater").order_by("source", "created_at"):
        detail = ""
        if label.questionnaire:
            score = sum(label.questionnaire["answers"].values())
            derived = questionnaire_type(label.questionnaire["answers"])
            detail = _("questionnaire score %(score)s of 24 → type %(type)s (approximate)") % {
                "score": score,
                "type": derived,
            }
        rows.append(
            ToneRow(
                label.source,
                label.get_source_display(),
                label.fitzpatrick,
                label.monk_tone,
                label.rater.username,
                detail,
            )
        )
    m = image.tone_measurement or {}
    if m.get("gradable"):
        fitz = m["fitzpatrick"]
        detail = _("%(method)s; Fitzpatrick %(conf)s%% confident, Monk %(monk)s%%") % {
            "method": m["method_version"],
            "conf": round(100 * fitz["confidence"]),
            "monk": round(100 * m["monk"]["confidence"]),
        }
        rows.append(
            ToneRow(
                "measured",
                _("Measured"),
                fitz["estimate"],
                m["monk"]["estimate"],
                "",
                detail,
            )
        )
    elif "gradable" in m:
        rows.append(ToneRow("measured", _("Measured"), None, None, "", _("not gradable")))
    return rows


# --- Agreement ----------------------------------------------------------------------------------


def agreement(a: list[int], b: list[int]) -> dict:
    """Exact, within one type, three-group agreement and weighted kappa of paired types."""
    n = len(a)
    if not n:
        return {"n": 0, "exact": None, "within_one": None, "group": None, "weighted_kappa": None}
    pairs = list(zip(a, b, strict=True))
    return {
        "n": n,
        "exact": sum(x == y for x, y in pairs) / n,
        "within_one": sum(abs(x - y) <= 1 for x, y in pairs) / n,
        "group": sum(group_of(x) == group_of(y) for x, y in pairs) / n,
        "group_kappa": cohen_kappa([group_of(x) for x in a], [group_of(y) for y in b]),
        "weighted_kappa": weighted_kappa(a, b, categories=TYPES),
    }


COMPARISONS = (
    ("clinician", "measured"),
    ("clinician", "self_report"),
    ("clinician", "rater"),
    ("self_report", "measured"),
    ("rater", "measured"),
)


def _labels_by_source(images: QuerySet) -> dict[int, dict[str, list[int]]]:
    out: dict[int, dict[str, list[int]]] = {}
    for pk, fitz, measurement in images.values_list("pk", "fitzpatrick", "tone_measurement"):
        entry = out.setdefault(pk, {"clinician": [fitz]})
        if (measurement or {}).get("gradable"):
            entry["measured"] = [measurement["fitzpatrick"]["estimate"]]
    labels = ToneLabel.objects.filter(image__in=images, fitzpatrick__isnull=False)
    for pk, source, fitz in labels.values_list("image_id", "source", "fitzpatrick"):
        out.setdefault(pk, {}).setdefault(source, []).append(fitz)
    return out


def tone_agreement_report(*, images: QuerySet) -> dict:
    """Agreement between every pair of sources over the given images; a source with several
    labels on one image (other raters) contributes each of them as a pair."""
    by_image = _labels_by_source(images)
    report = []
    for left, right in COMPARISONS:
        a, b = [], []
        for sources in by_image.values():
            for x in sources.get(left, []):
                for y in sources.get(right, []):
                    a.append(x)
                    b.append(y)
        report.append({"left": left, "right": right, **agreement(a, b)})
    return {"images": len(by_image), "comparisons": report}


def tone_flag_rates(*, images: QuerySet) -> dict:
    """Per labelled Fitzpatrick group: analysed, flagged, not gradable, cannot tell, and the
    ratio of the highest flag rate to the lowest (1.0 is perfectly even)."""
    counts: dict[str, Counter] = {name: Counter() for name in GROUPS}
    analysed = images.filter(analysis_status=LesionImage.AnalysisStatus.DONE)
    # One grouped query: the page shows it on every visit, whatever the size of the database.
    per_type = analysed.values("fitzpatrick").annotate(
        analysed=Count("pk"),
        flagged=Count("pk", filter=Q(tone_flagged=True)),
        not_gradable=Count("pk", filter=~Q(tone_measurement__gradable=True)),
        cannot_tell=Count("pk", filter=Q(tone_measurement__fitzpatrick__call="cannot tell")),
    )
    for row in per_type:
        c = counts[group_of(row["fitzpatrick"])]
        for key in ("analysed", "flagged", "not_gradable", "cannot_tell"):
            c[key] += row[key]
    rows = []
    for name, c in counts.items():
        n = c["analysed"]
        rows.append(
            {
                "group": name,
                "analysed": n,
                "flagged": c["flagged"],
                "not_gradable": c["not_gradable"],
                "cannot_tell": c["cannot_tell"],
                "flag_rate": c["flagged"] / n if n else None,
                "not_gradable_rate": c["not_gradable"] / n if n else None,
            }
        )
    rates = [r["flag_rate"] for r in rows if r["flag_rate"] is not None]
    ratio = None
    if len(rates) >= 2 and min(rates) > 0:
        ratio = max(rates) / min(rates)
    return {"groups": rows, "flag_rate_ratio": ratio}
