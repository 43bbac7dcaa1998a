"""Balanced exports: at most N images per diagnosis × Fitzpatrick cell of a catalogue query,
optionally filling thin cells with approved synthetic images (repository/exporting/balance.py
draws the sample; this reads the candidates and speaks in form errors)."""

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from repository.exporting.balance import BalancedSample, BalanceError, Candidate, balanced_sample
from repository.numbers import ascii_whole
from repository.services.catalogue import CatalogueQuery

BALANCE_MAX = 100_000


def balance_options(*, balance="", synthetic_ratio="") -> tuple[int | None, float]:
    """(at most N per cell or None, synthetic share 0–1) from request strings."""
    balance, synthetic_ratio = str(balance).strip(), str(synthetic_ratio).strip()
    per_cell = None
    if balance:
        if ascii_whole(balance) is None or not 1 <= int(balance) <= BALANCE_MAX:
            raise ValidationError(
                {
                    "balance": _("balance is a whole number of images per cell, 1 to %(max)s.")
                    % {"max": BALANCE_MAX}
                }
            )
        per_cell = int(balance)
    ratio = 0.0
    if synthetic_ratio:
        try:
            ratio = float(synthetic_ratio)
        except ValueError:
            ratio = -1.0
        if not 0 <= ratio <= 1:
            raise ValidationError(
                {"synthetic_ratio": _("synthetic_ratio is a share between 0 and 1.")}
            )
        if per_cell is None and ratio:
            raise ValidationError(
                {
                    "synthetic_ratio": _(
                        "synthetic_ratio fills cells of a balanced export: set balance too."
                    )
                }
            )
    return per_cell, ratio


def balanced_selection(
    query: CatalogueQuery, *, per_cell: int, synthetic_ratio: float, seed: int
) -> BalancedSample:
    candidates = []
    for origin, queryset in query.querysets().items():
        values = queryset.values_list("id", "diagnosis__code", "fitzpatrick")
        candidates += [
            Candidate(f"{origin}-{pk}", dx, fitz, origin) for pk, dx, fitz in values.iterator()
        ]
    try:
        return balanced_sample(
            candidates, per_cell=per_cell, synthetic_ratio=synthetic_ratio, seed=seed
        )
    except BalanceError as exc:
        raise ValidationError({"balance": _balance_message(exc)}) from None


def _balance_message(exc: BalanceError) -> str:
    """The plain module's English, said again in the reader's language."""
    if exc.code == "empty":
        return _("No image matches these filters, so there is nothing to balance.")
    if exc.code == "too_few":
        cell = _("%(diagnosis)s × Fitzpatrick %(type)s: %(real)s real, %(synthetic)s synthetic")
        listing = "; ".join(
            cell % {"diagnosis": dx, "type": fitz, "real": v["real"], "synthetic": v["synthetic"]}
            for key, v in sorted(exc.params["cells"].items())
            for dx, fitz in [key.split("|")]
        )
        return _(
            "You asked for up to %(n)s images per cell, but no cell has that many (the fullest "
            "has %(largest)s). What exists: %(listing)s."
        ) % {"n": exc.params["per_cell"], "largest": exc.params["largest"], "listing": listing}
    return str(exc)


def only_selected(rows: Iterator[dict], selected: set[str]) -> Iterator[dict]:
    return (row for row in rows if row["uid"] in selected)
