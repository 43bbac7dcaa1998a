"""Figures for the moderators' review report. Reads only."""

from collections import defaultdict
from itertools import combinations

from django.db.models import Count, Q

from repository.services.permissions import require_moderator
from synthesis.models import BlindJudgement, Review
from synthesis.services.review_metrics import cohen_kappa, fleiss_kappa, wilson_interval


def _by_item(reviews) -> dict[int, dict[str, Review]]:
    items: dict[int, dict[str, Review]] = defaultdict(dict)
    for review in reviews:
        items[review.synthetic_id][review.reviewer.username] = review
    return items


def _agreement(items: dict[int, dict[str, Review]], attr: str) -> dict:
    pairs = []
    names = sorted({name for ratings in items.values() for name in ratings})
    for a, b in combinations(names, 2):
        shared = [r for r in items.values() if a in r and b in r]
        if shared:
            kappa = cohen_kappa(
                [getattr(r[a], attr) for r in shared], [getattr(r[b], attr) for r in shared]
            )
            pairs.append({"a": a, "b": b, "items": len(shared), "kappa": kappa})
    sizes = [len(r) for r in items.values() if len(r) >= 2]
    fleiss, fleiss_items = None, 0
    if sizes:
        n = max(set(sizes), key=sizes.count)  # Fleiss needs the same number of raters per item
        rows = [[getattr(x, attr) for x in r.values()] for r in items.values() if len(r) == n]
        fleiss, fleiss_items = fleiss_kappa(rows), len(rows)
    return {"pairs": pairs, "fleiss": fleiss, "fleiss_items": fleiss_items}


def review_report(*, user) -> dict:
    require_moderator(user)
    reviews = list(Review.objects.select_related("reviewer", "synthetic"))
    throughput = (
        Review.objects.values("reviewer__username")
        .annotate(
            total=Count("id"),
            approved=Count("id", filter=Q(decision=Review.Decision.APPROVE)),
        )
        .order_by("-total", "reviewer__username")
    )
    rates = (
        Review.objects.values("synthetic__method", "synthetic__model_version")
        .annotate(
            total=Count("id"),
            approved=Count("id", filter=Q(decision=Review.Decision.APPROVE)),
        )
        .order_by("synthetic__method", "synthetic__model_version")
    )
    approval = [
        {
            "method": r["synthetic__method"],
            "model_version": r["synthetic__model_version"],
            "total": r["total"],
            "approved": r["approved"],
            "percent": round(100 * r["approved"] / r["total"]),
        }
        for r in rates
    ]
    items = _by_item(reviews)
    realism = realism_approval(reviews)
    decision_items = {
        pk: {name: _Flag(r.decision == Review.Decision.APPROVE) for name, r in ratings.items()}
        for pk, ratings in items.items()
    }
    return {
        "throughput": list(throughput),
        "approval": approval,
        "decision_agreement": _agreement(decision_items, "value"),
        "tone_agreement": _agreement(
            {pk: {n: _Flag(r.tone_correct) for n, r in x.items()} for pk, x in items.items()},
            "value",
        ),
        "reviews": len(reviews),
        "realism_approval": realism,
        "turing": turing_report(),
    }


def realism_approval(reviews) -> dict:
    """Reviewers' approval rate of tone-transfer outputs per backend and per realism-score
    band, with Wilson 95 % intervals: if the score tracks dermatologists, approval falls from
    "close" to "far"."""
    from synthesis.ml.realism import BANDS

    order = [name for _limit, name in BANDS] + ["not scored"]
    by_backend: dict[str, list[bool]] = defaultdict(list)
    by_band: dict[str, list[bool]] = defaultdict(list)
    cells: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for review in reviews:
        synthetic = review.synthetic
        if synthetic.method != "tone_transfer":
            continue
        approved = review.decision == Review.Decision.APPROVE
        band = synthetic.realism_band or "not scored"
        by_backend[synthetic.backend].append(approved)
        by_band[band].append(approved)
        cells[(synthetic.backend, band)].append(approved)
    return {
        "backends": [
            {"backend": name, **_rate(sum(v), len(v))} for name, v in sorted(by_backend.items())
        ],
        "bands": [
            {"band": b, **_rate(sum(by_band[b]), len(by_band[b]))} for b in order if by_band[b]
        ],
        "cells": [
            {"backend": backend, "band": band, **_rate(sum(v), len(v))}
            for (backend, band), v in sorted(
                cells.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))
            )
        ],
    }


def _rate(successes: int, trials: int) -> dict:
    interval = wilson_interval(successes, trials)
    return {
        "successes": successes,
        "trials": trials,
        "rate": successes / trials if trials else None,
        "low": interval[0] if interval else None,
        "high": interval[1] if interval else None,
    }


def turing_report() -> dict:
    """Blinded sessions: the share of correct real/synthetic calls, overall and per method and
    model version, and how often synthetic images were taken for real, with Wilson 95 % CIs."""
    judged = list(
        BlindJudgement.objects.judged()
        .select_related("synthetic")
        .only("said_real", "real_image_id", "synthetic__method", "synthetic__model_version")
    )
    groups: dict[tuple[str, str], list[BlindJudgement]] = defaultdict(list)
    real = [j for j in judged if j.is_real]
    for j in judged:
        if not j.is_real:
            groups[(j.synthetic.method, j.synthetic.model_version)].append(j)
    return {
        "calls": len(judged),
        "accuracy": _rate(sum(bool(j.correct) for j in judged), len(judged)),
        "real_accuracy": _rate(sum(bool(j.said_real) for j in real), len(real)),
        "groups": [
            {
                "method": method,
                "model_version": version,
                # On synthetic images a correct call is "synthetic": accuracy = 1 − fooled.
                "accuracy": _rate(sum(not j.said_real for j in calls), len(calls)),
                "taken_for_real": _rate(sum(bool(j.said_real) for j in calls), len(calls)),
            }
            for (method, version), calls in sorted(groups.items())
        ],
    }


class _Flag:
    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value
