"""The web gallery over the catalogue: the API's filters (services.catalogue), facet counts,
search by id, sort and page, and an image's neighbours within a result list. Reads only."""

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.urls import get_script_prefix, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repository.models import Diagnosis
from repository.services.catalogue import FILTERS, CatalogueQuery, catalogue_query
from repository.services.catalogue_counts import INTEGER_FACETS, Summary, catalogue_summary
from repository.vocabulary import AGE_BIN_CHOICES, BodySite, Licence, Modality, Sex
from synthesis.ml.fitzpatrick import ROMAN
from synthesis.models import SyntheticImage

PAGE_SIZE = 48
GALLERY_CONTROL = {"q", "sort", "page"}
SORTS = {
    "newest": (gettext_lazy("Newest first"), ("-created_at", "-origin_rank", "-id")),
    "oldest": (gettext_lazy("Oldest first"), ("created_at", "origin_rank", "id")),
    "darkest": (gettext_lazy("Fitzpatrick VI to I"), ("-fitzpatrick", "-created_at", "-id")),
    "lightest": (gettext_lazy("Fitzpatrick I to VI"), ("fitzpatrick", "-created_at", "-id")),
}
ID_SEARCH = re.compile(r"^\s*(?:(real|synthetic)[-\s#]*)?#?\s*(\d{1,18})\s*$", re.I)


@dataclass(frozen=True)
class Facet:
    name: str  # the query parameter it sets
    label: str
    real: str | None  # the column to group by, per origin (None: that origin has none)
    synthetic: str | None
    multiple: bool  # a comma list of values (else one value)


FACETS = (
    Facet("diagnosis", gettext_lazy("Diagnosis"), "diagnosis__code", "diagnosis__code", True),
    Facet("fitzpatrick", gettext_lazy("Fitzpatrick type"), "fitzpatrick", "fitzpatrick", False),
    Facet("monk_tone", gettext_lazy("Monk skin tone"), "monk_tone", None, False),
    Facet("modality", gettext_lazy("Modality"), "modality", "source_image__modality", True),
    Facet("body_site", gettext_lazy("Body site"), "body_site", "body_site", True),
    Facet("age", gettext_lazy("Age"), "age_bin", "age_bin", False),
    Facet("sex", gettext_lazy("Sex"), "sex", "sex", True),
    Facet("origin", gettext_lazy("Real or synthetic"), None, None, False),
    Facet("licence", gettext_lazy("Licence"), "licence", "licence", True),
)
# The parameters each facet owns (age sets a range).
FACET_PARAMS = {f.name: (("age_min", "age_max") if f.name == "age" else (f.name,)) for f in FACETS}
ORIGIN_LABELS = {
    "real": gettext_lazy("Real images"),
    "synthetic": gettext_lazy("Synthetic (reviewed)"),
}


@dataclass
class GalleryQuery:
    catalogue: CatalogueQuery
    params: QueryDict  # the filters as given (no q, sort or page)
    sort: str
    ids: tuple[str | None, int] | None  # (origin or None, id) from the id search


def gallery_query(params) -> GalleryQuery:
    """Parse the gallery's query string: the API's filters plus q (an image id), sort, page."""
    filters = params.copy()
    for name in GALLERY_CONTROL:
        filters.pop(name, None)
    for name in [k for k, v in filters.items() if v == ""]:
        filters.pop(name)  # an empty select means "any"
    catalogue = catalogue_query(filters)
    sort = params.get("sort") or "newest"
    if sort not in SORTS:
        raise ValidationError({"sort": _("Sort by one of: %(s)s.") % {"s": ", ".join(SORTS)}})
    ids = None
    text = (params.get("q") or "").strip()
    if text:
        match = ID_SEARCH.match(text)
        if not match:
            raise ValidationError(
                {"q": _("Search by an image id such as 12, real-12 or synthetic-5.")}
            )
        ids = (match.group(1).lower() if match.group(1) else None, int(match.group(2)))
    return GalleryQuery(catalogue=catalogue, params=filters, sort=sort, ids=ids)


def _querysets(query: GalleryQuery, catalogue: CatalogueQuery | None = None) -> dict:
    sets = (catalogue or query.catalogue).querysets()
    if query.ids is not None:
        origin, pk = query.ids
        sets = {o: qs.filter(pk=pk) for o, qs in sets.items() if origin in (None, o)}
    return sets


def _rows(origin: str, queryset: QuerySet) -> QuerySet:
    synthetic = origin == "synthetic"
    return queryset.values(
        "id",
        "created_at",
        "fitzpatrick",
        origin_rank=Value(1 if synthetic else 0),
        dx=F("diagnosis__code"),
        made_by=F("method") if synthetic else Value(""),
        made_from=Coalesce(F("source_image_id"), Value(0)) if synthetic else Value(0),
    )


class _Results:
    """The merged, sorted rows of both origins. Each origin gives its first `stop` rows in the
    sort order (an index scan for newest and oldest) and the two are merged here: a UNION ALL
    ordered as a whole would sort every matching row of a million. The count is the sum of the
    origins' counts, which the facets already know."""

    def __init__(self, querysets: dict, sort: str, total: int):
        self.order = SORTS[sort][1]
        self.querysets = querysets
        self.total = total

    def _part(self, origin: str, queryset: QuerySet, stop: int) -> list[dict]:
        """The first `stop` rows of one origin: their ids first (from a page index alone, where
        one fits), then their columns."""
        order = [o.replace("origin_rank", "id") for o in self.order]
        ids = queryset.order_by(*order).values("pk")[:stop]
        return list(_rows(origin, queryset.model.objects.filter(pk__in=ids).order_by(*order)))

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, key):
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start, stop = key.start or 0, key.stop
        if not self.querysets or stop is None or stop <= start:
            return []
        rows = [row for o, qs in self.querysets.items() for row in self._part(o, qs, stop)]
        for field in reversed(self.order):  # stable sorts, last key first
            name = field.lstrip("-")
            rows.sort(key=lambda r, n=name: (r[n] is None, r[n] or 0), reverse=field[0] == "-")
        names = dict(Diagnosis.objects.values_list("code", "name"))
        return [_decorate(row, names) for row in rows[start:stop]]


def _decorate(row: dict, names: dict) -> dict:
    origin = "synthetic" if row["origin_rank"] else "real"
    row["origin"] = origin
    row["pk"] = row["id"]
    row["uid"] = f"{origin}-{row['id']}"
    if origin == "synthetic":
        row["url"] = reverse("synthesis-image-detail", args=[row["id"]])
        row["thumbnail"] = reverse("synthesis-image-file", args=[row["id"], "thumbnail"])
        method = row["made_by"]
        row["method_label"] = SyntheticImage.Method(method).label if method else ""
        row["source"] = row["made_from"]
    else:
        row["url"] = reverse("image-detail", args=[row["id"]])
        row["thumbnail"] = reverse("image-file", args=[row["id"], "thumbnail"])
    row["fitzpatrick_label"] = ROMAN.get(row["fitzpatrick"], "")
    row["dx_name"] = _(names[row["dx"]]) if row["dx"] in names else row["dx"]
    return row


def _without(catalogue: CatalogueQuery, facet: Facet) -> CatalogueQuery:
    if facet.name == "origin":
        return CatalogueQuery(origin="any", filters=dict(catalogue.filters))
    owned = FACET_PARAMS[facet.name]
    kept = {k: v for k, v in catalogue.filters.items() if k not in owned}
    return CatalogueQuery(origin=catalogue.origin, filters=kept)


def _labels() -> dict[str, dict]:
    names = {d.code: d.display_name for d in Diagnosis.objects.all()}
    return {
        "diagnosis": names,
        "fitzpatrick": dict(ROMAN),
        "monk_tone": {n: str(n) for n in range(1, 11)},
        "modality": dict(Modality.choices),
        "body_site": dict(BodySite.choices),
        "age": dict(AGE_BIN_CHOICES),
        "sex": dict(Sex.choices),
        "licence": dict(Licence.choices),
        "origin": dict(ORIGIN_LABELS),
    }


def _order(facet: Facet, value):
    if facet.name in ("fitzpatrick", "monk_tone", "age"):
        return (0, value)
    return (1, 0)


def gallery_facets(query: GalleryQuery) -> tuple[list[dict], int]:
    """Each facet's values with their counts among the results of every *other* filter (so a
    second value can be added), and the number of results. One GROUP BY per facet and origin;
    the counts of a query are kept PIXGEN_GALLERY_FACET_CACHE_SECONDS (a busy gallery asks the
    same few questions again and again; counts may lag a publication by that long)."""
    seconds = settings.PIXGEN_GALLERY_FACET_CACHE_SECONDS
    if seconds <= 0:
        return _facets(query)
    key = (
        "gallery-facets:"
        + hashlib.sha256(
            f"{translation.get_language()}|{query.params.urlencode()}|{query.ids}".encode()
        ).hexdigest()
    )
    found = cache.get(key)
    if found is None:
        found = _facets(query)
        cache.set(key, found, seconds)
    facets, total = found
    return _with_urls(facets, query), total


def _with_urls(facets: list[dict], query: GalleryQuery) -> list[dict]:
    """The cached counts with links for this query's sort (the cache key leaves sort out)."""
    by_name = {f.name: f for f in FACETS}
    for facet in facets:
        for value in facet["values"]:
            value["url"] = _toggle_url(
                query, by_name[facet["name"]], value["value"], value["active"]
            )
    return facets


def _facets(query: GalleryQuery, *, summary: bool = True) -> tuple[list[dict], int]:
    """Counts with at most two facets filtered come from the kept cells (catalogue_counts);
    the others are counted from the matching rows (`summary=False`: every count is)."""
    labels = _labels()
    counts: dict[str, dict] = {facet.name: {} for facet in FACETS}
    # The facets whose filter is not set share one WHERE (all the filters): on PostgreSQL they
    # are counted in one scan per origin (GROUPING SETS), with the origin's total beside them.
    shared = [f for f in FACETS if f.name != "origin" and not _is_filtered(f, query)]
    found = _summary(query, query.catalogue) if summary else None
    if found is not None:
        totals = dict(found.totals)
        for facet in shared:
            counts[facet.name] = _typed(facet, found.facet(facet.name))
    else:
        totals = {}
        for origin, qs in _querysets(query).items():
            totals[origin] = _count(counts, origin, qs, shared)
    for facet in FACETS:
        if facet in shared:
            continue
        if facet.name == "origin" and not _is_filtered(facet, query):
            counts["origin"] = dict(totals)
            continue
        catalogue = _without(query.catalogue, facet)
        found = _summary(query, catalogue) if summary else None
        if found is not None:
            counts[facet.name] = (
                dict(found.totals)
                if facet.name == "origin"
                else _typed(facet, found.facet(facet.name))
            )
            continue
        for origin, qs in _querysets(query, catalogue).items():
            if facet.name == "origin":
                counts["origin"][origin] = qs.count()
            else:
                _count(counts, origin, qs, [facet])
    facets = [_facet_entry(f, counts[f.name], labels[f.name], query) for f in FACETS]
    return facets, sum(totals.values())


def _summary(query: GalleryQuery, catalogue: CatalogueQuery) -> Summary | None:
    """The kept counts for these filters, or None where they cannot answer (an id search,
    three facets filtered or more, a filter that is no facet)."""
    if query.ids is not None:
        return None
    origins = [
        origin
        for index, origin in enumerate(("real", "synthetic"), start=1)
        if catalogue.origin in (origin, "any")
        and all(FILTERS[name][index] is not None for name in catalogue.filters)
    ]
    return catalogue_summary(origins, catalogue.filters)


def _typed(facet: Facet, counts: dict[str, int]) -> dict:
    """Kept counts (keyed by text; a diagnosis by its id) keyed as a row count is."""
    if facet.name == "diagnosis":
        codes = {str(pk): code for pk, code in Diagnosis.objects.values_list("pk", "code")}
        return {codes[v]: n for v, n in counts.items() if v in codes}
    if facet.name in INTEGER_FACETS:
        return {int(v): n for v, n in counts.items()}
    return dict(counts)


def _is_filtered(facet: Facet, query: GalleryQuery) -> bool:
    if facet.name == "origin":
        return query.catalogue.origin != "any"
    return any(name in query.catalogue.filters for name in FACET_PARAMS[facet.name])


def _count(counts: dict, origin: str, qs: QuerySet, facets: list[Facet]) -> int:
    """Add each facet's value counts among `qs` to `counts`; returns the number of rows."""
    columns = {
        f.name: (f.real if origin == "real" else f.synthetic)
        for f in facets
        if (f.real if origin == "real" else f.synthetic) is not None
    }
    if connection.vendor == "postgresql" and columns:
        rows = _grouping_sets(qs, columns)
    else:
        rows = [(None, None, qs.count())]
        for name, column in columns.items():
            grouped = qs.order_by().values(column).annotate(n=Count("pk"))
            rows += [(name, value, n) for value, n in grouped.values_list(column, "n")]
    total = 0
    for name, value, n in rows:
        if name is None:
            total = n
        elif value not in (None, ""):
            counts[name][value] = counts[name].get(value, 0) + n
    return total


def _grouping_sets(qs: QuerySet, columns: dict[str, str]) -> list[tuple]:
    """(facet, value, count) for every facet column, and (None, None, total), in one scan."""
    names = list(columns)
    aliases = [f"facet_{i}" for i in range(len(names))]
    inner = qs.order_by().values(**{a: F(columns[n]) for a, n in zip(aliases, names, strict=True)})
    sql, params = inner.query.sql_with_params()
    sets = ", ".join(f"({a})" for a in aliases)
    outer = (
        f"SELECT {', '.join(aliases)}, GROUPING({', '.join(aliases)}), COUNT(*) "
        f"FROM ({sql}) AS facet_rows GROUP BY GROUPING SETS ({sets}, ())"
    )
    every = (1 << len(aliases)) - 1
    out = []
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        for row in cursor.fetchall():
            *values, mask, n = row
            if mask == every:
                out.append((None, None, n))
                continue
            # GROUPING() has a 0 bit, counted from the left, for the column grouped on.
            index = next(i for i in range(len(aliases)) if not mask >> (len(aliases) - 1 - i) & 1)
            out.append((names[index], values[index], n))
    return out


def _active_values(facet: Facet, query: GalleryQuery) -> set[str]:
    if facet.name == "age":
        lo, hi = query.params.get("age_min"), query.params.get("age_max")
        return {lo} if lo is not None and lo == hi else set()
    raw = query.params.get(facet.name, "")
    if facet.name == "fitzpatrick" and raw:
        value = query.catalogue.filters.get("fitzpatrick")
        return {str(value)} if value else set()
    return {v.strip().lower() for v in raw.split(",") if v.strip()}


def _facet_entry(facet: Facet, counts: dict, labels: dict, query: GalleryQuery) -> dict:
    active = _active_values(facet, query)
    values = []
    # ties in a fixed order (by value), whichever way the counts were found
    ordered = sorted(counts.items(), key=lambda kv: (_order(facet, kv[0]), -kv[1], str(kv[0])))
    for value, n in ordered:
        key = str(value)
        on = key.lower() in active
        values.append(
            {
                "value": key,
                "label": str(labels.get(value, key)),
                "count": n,
                "active": on,
                "url": _toggle_url(query, facet, key, on),
            }
        )
    return {"name": facet.name, "label": str(facet.label), "values": values}


def _toggle_url(query: GalleryQuery, facet: Facet, value: str, on: bool) -> str:
    # A plain dict of lists, as QueryDict holds them: a gallery page builds a hundred of
    # these links, and copying a QueryDict (a deep copy) each time was much of its time.
    params = {name: query.params.getlist(name) for name in query.params}
    if facet.name == "age":
        for name in FACET_PARAMS["age"]:
            params.pop(name, None)
        if not on:
            params["age_min"] = params["age_max"] = [value]
    elif facet.multiple:
        given = params.get(facet.name) or [""]
        current = [v for v in given[-1].split(",") if v]
        current = [v for v in current if v.lower() != value.lower()]
        if not on:
            current.append(value)
        if current:
            params[facet.name] = [",".join(current)]
        else:
            params.pop(facet.name, None)
    elif on:
        params.pop(facet.name, None)
    else:
        params[facet.name] = [value]
    return _url(params, query)


def _url(params, query: GalleryQuery) -> str:
    """The gallery's URL for these parameters (a QueryDict or a dict of lists) and the sort."""
    lists = params.lists() if isinstance(params, QueryDict) else params.items()
    pairs = [(name, v) for name, values in lists for v in values]
    if query.sort != "newest":
        pairs = [(name, v) for name, v in pairs if name != "sort"] + [("sort", query.sort)]
    encoded = urlencode(pairs)
    return f"{_list_path()}{'?' + encoded if encoded else ''}"


def _list_path() -> str:
    return _list_path_under(get_script_prefix())


@lru_cache(maxsize=8)
def _list_path_under(prefix: str) -> str:
    """The gallery's path, reversed once per script prefix (a page links to it ~100 times)."""
    return reverse("image-list")


def gallery_chips(query: GalleryQuery, facets: list[dict]) -> list[dict]:
    """One chip per active filter, with the URL that removes it."""
    chips = []
    by_name = {f["name"]: f for f in facets}
    labels = {f.name: str(f.label) for f in FACETS}
    for name in list(query.params):
        value = query.params.get(name)
        facet_name = "age" if name in ("age_min", "age_max") else name
        if facet_name == "age" and name == "age_max" and "age_min" in query.params:
            continue
        params = query.params.copy()
        for owned in FACET_PARAMS.get(facet_name, (name,)):
            params.pop(owned, None)
        shown = value
        facet = by_name.get(facet_name)
        if facet is not None:
            known = {v["value"].lower(): v["label"] for v in facet["values"]}
            shown = ", ".join(known.get(v.strip().lower(), v) for v in value.split(","))
        if facet_name == "age":
            lo, hi = query.params.get("age_min", ""), query.params.get("age_max", "")
            shown = known.get(lo, f"{lo}–{hi}") if lo == hi else f"{lo or '0'}–{hi or '…'}"
        chips.append(
            {
                "label": labels.get(facet_name, name.replace("_", " ")),
                "value": shown,
                "url": _url(params, query),
            }
        )
    if query.ids is not None:
        origin, pk = query.ids
        chips.append(
            {
                "label": _("Image id"),
                "value": f"{origin}-{pk}" if origin else str(pk),
                "url": _url(query.params, query),
            }
        )
    return chips


def gallery_results(query: GalleryQuery, total: int) -> _Results:
    return _Results(_querysets(query), query.sort, total)


def gallery_neighbours(params, position: int) -> dict:
    """The rows before and after `position` (0-based) in the results of `params`, for the
    previous/next links of an image page. Bad parameters give no neighbours, not an error."""
    try:
        query = gallery_query(params)
    except ValidationError:
        return {}
    results = _Results(_querysets(query), query.sort, total=0)
    start = max(position - 1, 0)
    rows = results[start : position + 2]
    out = {"position": position}
    for row_position, row in enumerate(rows, start=start):
        row["position"] = row_position
        if row_position == position - 1:
            out["previous"] = row
        elif row_position == position + 1:
            out["next"] = row
    return out
