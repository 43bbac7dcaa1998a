"""Facet counts of the open catalogue, kept in a summary table (CatalogueCount) so the gallery
never counts a million rows to draw its facets.

For each origin the table holds the number of public images with each facet value, with
each pair of values and with each triple (one value counted among images with two given
values). That answers exactly every question with at most two facets filtered: the
unfiltered gallery, one or two filters, and the counts of a filtered facet among the others.
Three filtered facets or more, and filters that are no facet, are counted from the rows
themselves (repository.services.gallery); they match far fewer rows.

Writes keep it exact: every service that can bring an image into the public catalogue, take
it out or change a faceted label does so inside `catalogue_change(real=…, synthetic=…)`,
which locks the rows, reads their facet values before and after, and adds the difference to
the cells in the same transaction. `catalogue_counts_rebuild()` (the command
`rebuild_catalogue_counts`) recounts everything; `catalogue_counts_recount()` gives what the
cells should hold, for checks."""

import itertools
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, IntegerField, Q, Value

from repository.vocabulary import AGE_BIN_CHOICES, BodySite, Licence, Modality, Sex

ORIGINS = ("real", "synthetic")
ALL = "*"  # the facet whose one value "" every image has: its count is the number of images
# facet -> the column that holds it, per origin (None: that origin has no such value).
FACETS = {
    "diagnosis": ("diagnosis_id", "diagnosis_id"),
    "fitzpatrick": ("fitzpatrick", "fitzpatrick"),
    "monk_tone": ("monk_tone", None),
    "modality": ("modality", "source_image__modality"),
    "body_site": ("body_site", "body_site"),
    "age": ("age_bin", "age_bin"),
    "sex": ("sex", "sex"),
    "licence": ("licence", "licence"),
}
NAMES = tuple(FACETS)
INTEGER_FACETS = {"fitzpatrick", "monk_tone", "age"}

# catalogue filter -> (facet, test of one facet value against the filter's parsed value).
FILTER_FACETS = {
    "diagnosis": ("diagnosis", None),  # codes: resolved to ids below
    "fitzpatrick": ("fitzpatrick", lambda v, x: v == x),
    "fitzpatrick_min": ("fitzpatrick", lambda v, x: v >= x),
    "fitzpatrick_max": ("fitzpatrick", lambda v, x: v <= x),
    "monk_tone": ("monk_tone", lambda v, x: v == x),
    "monk_tone_min": ("monk_tone", lambda v, x: v >= x),
    "monk_tone_max": ("monk_tone", lambda v, x: v <= x),
    "modality": ("modality", lambda v, x: v in x),
    "body_site": ("body_site", lambda v, x: v in x),
    "age_min": ("age", lambda v, x: v >= x),
    "age_max": ("age", lambda v, x: v <= x),
    "sex": ("sex", lambda v, x: v in x),
    "licence": ("licence", lambda v, x: v in x),
}
_DOMAINS = {
    "fitzpatrick": range(1, 7),
    "monk_tone": range(1, 11),
    "modality": Modality.values,
    "body_site": BodySite.values,
    "age": [lo for lo, _label in AGE_BIN_CHOICES],
    "sex": Sex.values,
    "licence": Licence.values,
}


def _models():
    from repository.models import CatalogueCount, LesionImage
    from synthesis.models import SyntheticImage

    return LesionImage, SyntheticImage, CatalogueCount


def _text(value) -> str:
    return "" if value is None else str(value)


# --- the facet values of rows ----------------------------------------------------------------


def _columns(index: int) -> dict:
    """f0…f7 (NAMES order) for one origin (0 real, 1 synthetic); NULL where it has none."""
    return {
        f"f{i}": F(FACETS[name][index])
        if FACETS[name][index]
        else Value(None, output_field=IntegerField())
        for i, name in enumerate(NAMES)
    }


def _public_rows(real_model, synthetic_model) -> dict:
    """origin -> a queryset of the public rows' facet values."""
    real = real_model.objects.filter(status="public")
    synthetic = synthetic_model.objects.filter(status="approved").filter(
        Q(source_image__isnull=True) | Q(source_image__status="public")
    )
    return {
        "real": real.order_by().values(**_columns(0)),
        "synthetic": synthetic.order_by().values(**_columns(1)),
    }


def _values_of(raw: dict) -> tuple[str, ...]:
    return tuple(_text(raw.get(f"f{i}")) for i in range(len(NAMES)))


def _snapshot(real_ids: Iterable[int], synthetic_ids: Iterable[int], *, lock: bool) -> dict:
    """(origin, id) -> the facet values of each row while public, or None. The synthetic
    images derived from the real ones come with them: a source's status and modality are
    theirs too."""
    LesionImage, SyntheticImage, _count = _models()
    real_ids, synthetic_ids = sorted(set(real_ids)), sorted(set(synthetic_ids))
    out: dict = {}
    if real_ids:
        real = LesionImage.objects.filter(pk__in=real_ids).order_by("pk")
        if lock:
            real = real.select_for_update()
        for raw in real.values("id", "status", **_columns(0)):
            public = raw["status"] == LesionImage.Status.PUBLIC
            out[("real", raw["id"])] = _values_of(raw) if public else None
    if real_ids or synthetic_ids:
        synthetic = SyntheticImage.objects.filter(
            Q(pk__in=synthetic_ids) | Q(source_image_id__in=real_ids)
        ).order_by("pk")
        if lock:
            synthetic = synthetic.select_for_update(of=("self",))
        for raw in synthetic.values(
            "id",
            "status",
            "source_image_id",
            source_status=F("source_image__status"),
            **_columns(1),
        ):
            public = raw["status"] == SyntheticImage.Status.APPROVED and (
                raw["source_image_id"] is None or raw["source_status"] == LesionImage.Status.PUBLIC
            )
            out[("synthetic", raw["id"])] = _values_of(raw) if public else None
    return out


def _cells(origin: str, values: tuple[str, ...]) -> list[tuple]:
    """The cells one public image counts in: (given facet, given value, origin, facet, value).
    Given is nothing, one facet, or two facets at once ("a|b" in NAMES order)."""
    pairs = list(zip(NAMES, values, strict=True))
    out = [("", "", origin, ALL, "")]
    out += [("", "", origin, name, value) for name, value in pairs]
    out += [
        (given, given_value, origin, name, value)
        for (name, value), (given, given_value) in itertools.permutations(pairs, 2)
    ]
    for (first, first_value), (second, second_value) in itertools.combinations(pairs, 2):
        given, given_value = f"{first}|{second}", f"{first_value}|{second_value}"
        out += [
            (given, given_value, origin, name, value)
            for name, value in pairs
            if name not in (first, second)
        ]
    return out


# --- keeping the cells -----------------------------------------------------------------------


@contextmanager
def catalogue_change(*, real: Iterable[int] = (), synthetic: Iterable[int] = ()):
    """Wrap a write to these images (and the synthetic images derived from the real ones):
    their rows are locked, and what the write changes in the public catalogue is added to the
    counts when the block ends, in the same transaction."""
    real, synthetic = list(real), list(synthetic)
    with transaction.atomic():
        before = _snapshot(real, synthetic, lock=True)
        yield
        after = _snapshot(real, synthetic, lock=False)
        delta: Counter = Counter()
        for key in before.keys() | after.keys():
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            if old is not None:
                delta.subtract(_cells(key[0], old))
            if new is not None:
                delta.update(_cells(key[0], new))
        _add(delta)


def _add(delta: Counter) -> None:
    """Add `delta` to the cells, in one sorted order (two writers never wait on each other
    the other way round)."""
    _real, _synthetic, CatalogueCount = _models()
    cells = sorted((cell, n) for cell, n in delta.items() if n)
    table = connection.ops.quote_name(CatalogueCount._meta.db_table)
    for start in range(0, len(cells), 150):
        chunk = cells[start : start + 150]
        rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        params = [p for cell, n in chunk for p in (*cell, n)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (given_facet, given_value, origin, facet, value, n) "
                f"VALUES {rows} ON CONFLICT (given_facet, given_value, origin, facet, value) "
                f"DO UPDATE SET n = {table}.n + excluded.n",
                params,
            )


def catalogue_counts_recount(*, real_model=None, synthetic_model=None) -> Counter:
    """What every cell should hold, counted from the rows: {cell: n} for n > 0."""
    LesionImage, SyntheticImage, _count = _models() if real_model is None else (None, None, None)
    real_model, synthetic_model = real_model or LesionImage, synthetic_model or SyntheticImage
    counts: Counter = Counter()
    for origin, qs in _public_rows(real_model, synthetic_model).items():
        if connection.vendor == "postgresql":
            counts.update(_grouping_sets(origin, qs))
        else:
            for raw in qs.iterator(chunk_size=2000):
                counts.update(_cells(origin, _values_of(raw)))
    return +counts


def _grouping_sets(origin: str, qs) -> Counter:
    """Every cell of one origin in one scan (PostgreSQL's GROUPING SETS of no column, each
    column, each pair and each triple)."""
    aliases = [f"f{i}" for i in range(len(NAMES))]
    sql, params = qs.query.sql_with_params()
    sets = ["()", *aliases]
    sets += [f"({', '.join(c)})" for size in (2, 3) for c in itertools.combinations(aliases, size)]
    query = (
        f"SELECT {', '.join(f'{a}::text' for a in aliases)}, GROUPING({', '.join(aliases)}), "
        f"COUNT(*) FROM ({sql}) AS facet_rows GROUP BY GROUPING SETS ({', '.join(sets)})"
    )
    out: Counter = Counter()
    width = len(aliases)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for *values, mask, n in cursor.fetchall():
            # GROUPING() has a 0 bit, counted from the left, for each column grouped on.
            grouped = [
                (NAMES[i], _text(values[i]))
                for i in range(width)
                if not mask >> (width - 1 - i) & 1
            ]
            if not grouped:
                out[("", "", origin, ALL, "")] += n
            elif len(grouped) == 1:
                out[("", "", origin, *grouped[0])] += n
            elif len(grouped) == 2:
                (a, value_a), (b, value_b) = grouped
                out[(b, value_b, origin, a, value_a)] += n
                out[(a, value_a, origin, b, value_b)] += n
            else:
                for counted in range(3):
                    (first, first_value), (second, second_value) = [
                        g for i, g in enumerate(grouped) if i != counted
                    ]
                    given = (f"{first}|{second}", f"{first_value}|{second_value}")
                    out[(*given, origin, *grouped[counted])] += n
    return out


def catalogue_counts_stored() -> Counter:
    _real, _synthetic, CatalogueCount = _models()
    rows = CatalogueCount.objects.filter(n__gt=0).values_list(
        "given_facet", "given_value", "origin", "facet", "value", "n"
    )
    return Counter({tuple(row[:5]): row[5] for row in rows})


def catalogue_counts_rebuild(*, real_model=None, synthetic_model=None, count_model=None) -> int:
    """Recount every cell from the rows (in one transaction; writers wait for it). Returns the
    number of cells."""
    count_model = count_model or _models()[2]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(count_model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
                # 93 grouping sets over every public row: hash them in memory, not on disk.
                cursor.execute("SET LOCAL work_mem = '256MB'")
        counts = catalogue_counts_recount(real_model=real_model, synthetic_model=synthetic_model)
        count_model.objects.all().delete()
        count_model.objects.bulk_create(
            (
                count_model(given_facet=g, given_value=gv, origin=o, facet=f, value=v, n=n)
                for (g, gv, o, f, v), n in counts.items()
            ),
            batch_size=2000,
        )
    return len(counts)


# --- reading ---------------------------------------------------------------------------------


@dataclass
class Summary:
    """The counts among the public images of some origins that match filters on at most two
    facets: `totals` per origin and `facet(name)` -> {value: count}."""

    totals: dict[str, int]
    facets: dict[str, Counter]

    def facet(self, name: str) -> dict[str, int]:
        return {value: n for value, n in self.facets[name].items() if value != "" and n > 0}


def facet_filter(filters: dict) -> list[tuple[str, set[str]]] | bool:
    """The facets (in NAMES order, at most two) and the values they allow that catalogue
    filters amount to; False when the cells cannot answer them (three facets or more, or a
    filter that is no facet)."""
    if any(name not in FILTER_FACETS for name in filters):
        return False
    facets = sorted({FILTER_FACETS[name][0] for name in filters}, key=NAMES.index)
    if len(facets) > 2:
        return False
    out = []
    for facet in facets:
        if facet == "diagnosis":
            from repository.services.catalogue import diagnosis_ids

            out.append((facet, {str(pk) for pk in diagnosis_ids(filters["diagnosis"])}))
            continue
        allowed = {
            value
            for value in _DOMAINS[facet]
            if all(
                FILTER_FACETS[name][1](value, parsed)
                for name, parsed in filters.items()
                if FILTER_FACETS[name][0] == facet
            )
        }
        out.append((facet, {str(v) for v in allowed}))
    return out


def catalogue_summary(origins: Iterable[str], filters: dict) -> Summary | None:
    """The counts for catalogue filters from the cells (a few hundred rows read), or None when
    the cells cannot answer them."""
    from repository.models import CatalogueCount

    givens = facet_filter(filters)
    if givens is False:
        return None
    origins = list(origins)
    cells = CatalogueCount.objects.filter(origin__in=origins, n__gt=0)
    totals = dict.fromkeys(origins, 0)
    facets: dict[str, Counter] = {name: Counter() for name in NAMES}
    columns = ("origin", "facet", "value", "given_value", "n")
    if len(givens) < 2:
        for origin, facet, value, _given, n in cells.filter(given_facet="").values_list(*columns):
            if not givens:
                if facet == ALL:
                    totals[origin] += n
                else:
                    facets[facet][value] += n
            elif facet == givens[0][0] and value in givens[0][1]:
                totals[origin] += n
                facets[facet][value] += n
    if len(givens) == 1:
        ((name, allowed),) = givens
        given = cells.filter(given_facet=name, given_value__in=sorted(allowed))
        for _origin, facet, value, _given, n in given.values_list(*columns):
            facets[facet][value] += n
    elif len(givens) == 2:
        (first, first_allowed), (second, second_allowed) = givens
        both = cells.filter(
            given_facet=second,
            given_value__in=sorted(second_allowed),
            facet=first,
            value__in=sorted(first_allowed),
        )
        for origin, _facet, value, given_value, n in both.values_list(*columns):
            totals[origin] += n
            facets[first][value] += n
            facets[second][given_value] += n
        keys = [f"{a}|{b}" for a in sorted(first_allowed) for b in sorted(second_allowed)]
        given = cells.filter(given_facet=f"{first}|{second}", given_value__in=keys)
        for _origin, facet, value, _given, n in given.values_list(*columns):
            facets[facet][value] += n
    return Summary(totals=totals, facets=facets)
