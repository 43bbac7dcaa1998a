"""Review pages: the reviewer's queue and item page, the moderator's disputed queue."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.views.common import apply_errors
from synthesis.forms.blind_review import BlindStartForm
from synthesis.forms.review import ReviewFilterForm, ReviewForm, SettleForm
from synthesis.selectors import synthetic_get
from synthesis.services import review as svc
from synthesis.services.targets import target_label


def _filters(request):
    form = ReviewFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, (form.filters() if form.is_bound else {})


@login_required
def review_queue(request):
    svc.require_reviewer(request.user)
    form, filters = _filters(request)
    if filters is None:
        return render(request, "synthesis/review_queue.html", {"form": form}, status=400)
    items = svc.review_queue(user=request.user, **filters)
    return render(
        request,
        "synthesis/review_queue.html",
        {
            "form": form,
            "blind_form": BlindStartForm(),
            "items": items[:200],
            "count": items.count(),
            "query": urlencode({k: v for k, v in request.GET.items() if k in form.fields}),
        },
    )


def _item_context(synthetic, form, query):
    return {
        "synthetic": synthetic,
        "form": form,
        "label": target_label(synthetic.target) if synthetic.target.get("kind") else "",
        "query": query,
    }


@login_required
def review_item(request, pk: int):
    svc.require_reviewer(request.user)
    form_filters, filters = _filters(request)
    if filters is None:
        return render(request, "synthesis/review_queue.html", {"form": form_filters}, status=400)
    query = urlencode({k: v for k, v in request.GET.items() if k in form_filters.fields})
    synthetic = synthetic_get(pk=pk)
    if synthetic is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                svc.review_submit(synthetic=synthetic, reviewer=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                apply_errors(form, exc)
                status = 403
            else:
                messages.success(request, _("Review saved."))
                following = svc.review_following(user=request.user, after=synthetic, **filters)
                if following is None:
                    return redirect(_with_query(reverse("synthesis-review-queue"), query))
                return redirect(
                    _with_query(reverse("synthesis-review-item", args=[following.pk]), query)
                )
        status = status if status != 200 else 400
    else:
        if not svc.review_in_queue(user=request.user, pk=pk):
            raise Http404
        form = ReviewForm()
    context = _item_context(synthetic, form, query)
    position, total = svc.review_queue_position(user=request.user, synthetic=synthetic, **filters)
    context.update(queue_position=position, queue_total=total)
    following = svc.review_queue_next(user=request.user, after=synthetic, **filters)
    context["next_url"] = (
        _with_query(reverse("synthesis-review-item", args=[following.pk]), query)
        if following
        else _with_query(reverse("synthesis-review-queue"), query)
    )
    return render(request, "synthesis/review_item.html", context, status=status)


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


@login_required
def disputed_list(request):
    items = svc.disputed_queue(user=request.user)
    return render(
        request,
        "synthesis/review_disputed.html",
        {"items": [(item, SettleForm(prefix=str(item.pk))) for item in items]},
    )


@login_required
@require_POST
def settle(request, pk: int):
    items = svc.disputed_queue(user=request.user)
    synthetic = synthetic_get(pk=pk)
    if synthetic is None:
        raise Http404
    form = SettleForm(request.POST, prefix=str(pk))
    if form.is_valid():
        try:
            svc.review_settle(synthetic=synthetic, moderator=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("synthesis-review-disputed")
    rows = [(item, form if item.pk == pk else SettleForm(prefix=str(item.pk))) for item in items]
    if not any(item.pk == pk for item, _f in rows):
        messages.error(request, " ".join(form.non_field_errors()) or _("Not disputed."))
    return render(request, "synthesis/review_disputed.html", {"items": rows}, status=400)
