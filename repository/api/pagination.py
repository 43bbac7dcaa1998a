"""Cursor pagination over the merged catalogue of real and synthetic rows.

The order is (created_at, origin rank, id), descending by default; a cursor is the position of
the last row served, so pages stay stable while rows are added and a crawler can walk the whole
database without OFFSET scans."""

import base64
import datetime as dt
import json

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from repository.services.catalogue_rows import rows

RANK = {"real": 0, "synthetic": 1}


def encode_cursor(row: dict, *, descending: bool) -> str:
    payload = {
        "t": row["created_at"].isoformat(),
        "r": RANK[row["origin"]],
        "i": row["id"],
        "d": descending,
    }
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(value: str, *, descending: bool) -> tuple[dt.datetime, int, int]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(value.encode()).decode())
        moment = dt.datetime.fromisoformat(payload["t"])
        rank, pk = int(payload["r"]), int(payload["i"])
        if payload["d"] != descending or rank not in RANK.values():
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeError):
        raise ValidationError(
            {
                "cursor": _(
                    "The cursor is not readable; start again without it, "
                    "or keep the ordering it was made with."
                )
            }
        ) from None
    return moment, rank, pk


def _after(position: tuple[dt.datetime, int, int], rank: int, *, descending: bool) -> Q:
    moment, cursor_rank, pk = position
    beyond = Q(created_at__lt=moment) if descending else Q(created_at__gt=moment)
    ahead = rank < cursor_rank if descending else rank > cursor_rank
    if ahead:
        return beyond | Q(created_at=moment)
    if rank == cursor_rank:
        return beyond | Q(created_at=moment, **{"id__lt" if descending else "id__gt": pk})
    return beyond


def catalogue_page(
    querysets: dict[str, QuerySet], *, cursor: str | None, size: int, descending: bool = True
) -> tuple[list[dict], str | None]:
    """One page of merged rows and the cursor of the next page (None at the end)."""
    position = decode_cursor(cursor, descending=descending) if cursor else None
    order = ("-created_at", "-id") if descending else ("created_at", "id")
    candidates: list[dict] = []
    for origin, queryset in querysets.items():
        if position is not None:
            queryset = queryset.filter(_after(position, RANK[origin], descending=descending))
        # The page's ids first, then its rows: every filter column is in the page indexes, so
        # the ids come from the index alone (no table row read for a row the filters drop).
        ids = queryset.order_by(*order).values("pk")[: size + 1]
        page = queryset.model.objects.filter(pk__in=ids).order_by(*order)
        candidates.extend(rows(origin, page[: size + 1]))
    candidates.sort(key=lambda r: (r["created_at"], RANK[r["origin"]], r["id"]), reverse=descending)
    page = candidates[:size]
    following = encode_cursor(page[-1], descending=descending) if len(candidates) > size else None
    return page, following
