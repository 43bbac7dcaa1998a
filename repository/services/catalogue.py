"""The open database as one catalogue of real and approved synthetic images, filtered the same
way for the API, the exports and releases. Reads only."""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from repository.models import Diagnosis, LesionImage
from repository.vocabulary import BodySite, Licence, Modality, Sex
from synthesis.ml.fitzpatrick import parse_type
from synthesis.models import SyntheticImage

ORIGINS = ("real", "synthetic")
METHODS = tuple(SyntheticImage.Method.values)


def _codes(value: str) -> list[str]:
    return [v.strip().lower() for v in value.split(",") if v.strip()]


def _choice(choices):
    canonical = {v.lower(): v for v in choices.values}

    def parse(name: str, value: str) -> list[str]:
        items = _codes(value)
        bad = [v for v in items if v not in canonical]
        if bad or not items:
            raise ValidationError(
                {
                    name: _("%(v)s is not one of: %(allowed)s.")
                    % {"v": ", ".join(bad) or "''", "allowed": ", ".join(choices.values)}
                }
            )
        return [canonical[v] for v in items]

    return parse


class DiagnosisCodes(list):
    """Diagnosis codes as given, with the ids the same lookup found (`ids`)."""

    ids: list[int]


def _diagnoses(name: str, value: str) -> list[str]:
    codes = _codes(value)
    known = dict(Diagnosis.objects.filter(code__in=codes).values_list("code", "id"))
    unknown = [c for c in codes if c not in known]
    if unknown or not codes:
        raise ValidationError(
            {name: _("Unknown diagnosis code(s): %(c)s.") % {"c": ", ".join(unknown) or "''"}}
        )
    parsed = DiagnosisCodes(codes)
    parsed.ids = sorted(set(known.values()))
    return parsed


def diagnosis_ids(codes: list[str]) -> list[int]:
    """The ids of diagnosis codes (the catalogue filters on the id column); parsed codes
    carry them already."""
    if isinstance(codes, DiagnosisCodes):
        return codes.ids
    return list(Diagnosis.objects.filter(code__in=codes).values_list("id", flat=True))


def _fitzpatrick(name: str, value: str) -> int:
    try:
        return parse_type(value)
    except ValueError:
        raise ValidationError(
            {name: _("Fitzpatrick type must be I–VI (1–6), not %(v)r.") % {"v": value}}
        ) from None


def _int(lo: int, hi: int):
    def parse(name: str, value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValidationError(
                {name: _("%(v)r is not a whole number.") % {"v": value}}
            ) from None
        if not lo <= number <= hi:
            raise ValidationError(
                {name: _("must be between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi}}
            )
        return number

    return parse


def _moment(name: str, value: str) -> dt.datetime:
    """An ISO date or datetime; one that is well formed but impossible (month 13, 30 February,
    year 0, an offset of 99 hours, an instant outside years 1–9999 in UTC) is refused too."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = dt.datetime.combine(day, dt.time.min)
        if moment is not None:
            moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
            # In UTC: PostgreSQL refuses offsets past ±15:59, and an instant outside years
            # 1–9999 raises here instead of in the database.
            moment = moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise ValidationError(
            {name: _("%(v)r is not a real date or time.") % {"v": value}}
        ) from None
    if moment is None:
        raise ValidationError(
            {name: _("%(v)r is not a date (YYYY-MM-DD) or an ISO datetime.") % {"v": value}}
        )
    return moment


def _text(name: str, value: str) -> str:
    if not value.strip():
        raise ValidationError({name: _("must not be empty.")})
    return value.strip()


def _origin(name: str, value: str) -> str:
    if value not in (*ORIGINS, "any"):
        raise ValidationError({name: _("origin is real, synthetic or any.")})
    return value


# name -> (parser, real lookup, synthetic lookup); a None lookup means that origin has no such
# attribute, so a filter on it keeps only the other origin.
FILTERS = {
    # Codes are resolved to ids (CatalogueQuery.querysets): a join on the code would keep the
    # planner from the (diagnosis, created_at) indexes that give a page in order.
    "diagnosis": (_diagnoses, "diagnosis_id__in", "diagnosis_id__in"),
    "fitzpatrick": (_fitzpatrick, "fitzpatrick", "fitzpatrick"),
    "fitzpatrick_min": (_fitzpatrick, "fitzpatrick__gte", "fitzpatrick__gte"),
    "fitzpatrick_max": (_fitzpatrick, "fitzpatrick__lte", "fitzpatrick__lte"),
    "monk_tone": (_int(1, 10), "monk_tone", None),
    "monk_tone_min": (_int(1, 10), "monk_tone__gte", None),
    "monk_tone_max": (_int(1, 10), "monk_tone__lte", None),
    "body_site": (_choice(BodySite), "body_site__in", "body_site__in"),
    "modality": (_choice(Modality), "modality__in", "source_image__modality__in"),
    "age_min": (_int(0, 130), "age_bin__gte", "age_bin__gte"),
    "age_max": (_int(0, 130), "age_bin__lte", "age_bin__lte"),
    "sex": (_choice(Sex), "sex__in", "sex__in"),
    "licence": (_choice(Licence), "licence__in", "licence__in"),
    "method": (_choice(SyntheticImage.Method), None, "method__in"),
    "model_version": (_text, None, "model_version"),
    "contributor": (_text, "contributor__username", "source_image__contributor__username"),
    "lesion_identifier": (_text, "lesion_identifier", "source_image__lesion_identifier"),
    "request": (_int(1, 2**62), "request_id", None),
    "created_after": (_moment, "created_at__gte", "created_at__gte"),
    "created_before": (_moment, "created_at__lt", "created_at__lt"),
}
CONTROL = {
    "origin",
    "ordering",
    "fields",
    "cursor",
    "page_size",
    "format",
    "layout",
    "augment",
    "seed",
}


@dataclass
class CatalogueQuery:
    origin: str = "any"
    filters: dict[str, object] = field(default_factory=dict)

    def querysets(self) -> dict[str, QuerySet]:
        """The public rows of each origin this query can return."""
        out: dict[str, QuerySet] = {}
        real_q, synth_q, real_ok, synth_ok = Q(), Q(), True, True
        for name, value in self.filters.items():
            _parser, real_lookup, synth_lookup = FILTERS[name]
            if name == "diagnosis":
                value = diagnosis_ids(value)
            if real_lookup is None:
                real_ok = False
            else:
                real_q &= Q(**{real_lookup: value})
            if synth_lookup is None:
                synth_ok = False
            else:
                synth_q &= Q(**{synth_lookup: value})
        if real_ok and self.origin in ("real", "any"):
            out["real"] = LesionImage.objects.public().filter(real_q)
        if synth_ok and self.origin in ("synthetic", "any"):
            out["synthetic"] = SyntheticImage.objects.public().filter(synth_q)
        return out


def _values(params, name: str) -> list[str]:
    values = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
    return [str(v) for v in values]


def catalogue_query(params, *, extra_control: set[str] = frozenset()) -> CatalogueQuery:
    """Parse query parameters (a QueryDict or dict of strings); unknown names are an error."""
    nul = sorted(k for k in params if "\x00" in k or any("\x00" in v for v in _values(params, k)))
    if nul:
        raise ValidationError(
            {
                "detail": _("Filters may not contain NUL characters (%(names)s).")
                % {"names": ", ".join(repr(k) for k in nul)}
            }
        )
    unknown = sorted(set(params) - set(FILTERS) - CONTROL - set(extra_control))
    if unknown:
        raise ValidationError(
            {
                "detail": _("Unknown filter(s): %(names)s. Known filters: %(known)s.")
                % {"names": ", ".join(unknown), "known": ", ".join(FILTERS)}
            }
        )
    query = CatalogueQuery(origin=_origin("origin", params.get("origin", "any")))
    for name, (parser, _real, _synth) in FILTERS.items():
        if name in params:
            query.filters[name] = parser(name, params[name])
    if query.origin == "real" and any(FILTERS[n][1] is None for n in query.filters):
        raise ValidationError(
            {"origin": _("method and model_version apply to synthetic images only.")}
        )
    return query


def catalogue_public_real(filters: dict):
    """Public real images matching catalogue filters given as plain values (a Diagnosis, a
    type, an id…): the one read path of the gallery and job selection, as of the API and
    exports. Bad values raise ValidationError like any catalogue query."""
    params = {
        name: getattr(value, "code", value)
        for name, value in filters.items()
        if value not in (None, "")
    }
    params = {name: str(value) for name, value in params.items()}
    return catalogue_query({**params, "origin": "real"}).querysets()["real"]
