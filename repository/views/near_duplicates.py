"""Moderators compare candidate near-duplicate pairs side by side and decide each one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.models import NearDuplicatePair
from repository.services.near_duplicates import (
    near_duplicate_pair_decide,
    near_duplicate_pairs,
    pair_views,
)


@login_required
def pair_list(request):
    decided = request.GET.get("decided") == "1"
    pairs = near_duplicate_pairs(user=request.user, decided=decided)
    page = Paginator(pairs, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "repository/near_duplicates.html",
        {
            "page": page,
            "views": pair_views(page.object_list),
            "decided": decided,
            "decisions": [
                (value, label) for value, label in NearDuplicatePair.Decision.choices if value
            ],
        },
    )


@login_required
@require_POST
def pair_decide(request, pk: int):
    pair = get_object_or_404(NearDuplicatePair, pk=pk)
    try:
        pair = near_duplicate_pair_decide(
            pair=pair,
            moderator=request.user,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(a)s and %(b)s: %(decision)s.")
            % {"a": pair.a_uid, "b": pair.b_uid, "decision": pair.get_decision_display()},
        )
    return redirect("near-duplicates")
