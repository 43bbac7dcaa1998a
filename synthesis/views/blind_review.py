"""Blinded review pages: start a session, judge each image unlabelled, see a summary. The
image is served by session and position, so no URL or page names its origin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.views.common import apply_errors
from synthesis.forms.blind_review import BlindJudgementForm, BlindStartForm
from synthesis.models import BlindJudgement, BlindSession
from synthesis.selectors import blind_judgement_get, blind_session_get
from synthesis.services import blind_review as svc
from synthesis.services.review import require_reviewer


def _own_session(request, session: int) -> BlindSession:
    require_reviewer(request.user)
    # Another reviewer's session does not exist, as far as this one can tell.
    blind = blind_session_get(pk=session, reviewer=request.user)
    if blind is None:
        raise Http404
    return blind


def _judgement(blind: BlindSession, position: int) -> BlindJudgement:
    judgement = blind_judgement_get(session=blind, position=position)
    if judgement is None:
        raise Http404
    return judgement


@login_required
@require_POST
def blind_start(request):
    require_reviewer(request.user)
    form = BlindStartForm(request.POST)
    if form.is_valid():
        try:
            session = svc.blind_session_start(reviewer=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("synthesis-blind-session", session=session.pk)
    return render(request, "synthesis/review_blind_start.html", {"form": form}, status=400)


@login_required
def blind_session(request, session: int):
    """The next image still to judge, or the summary once all are judged."""
    blind = _own_session(request, session)
    following = svc.blind_session_next(session=blind)
    if following is not None:
        return redirect("synthesis-blind-judge", session=blind.pk, position=following.position)
    return render(
        request,
        "synthesis/review_blind_summary.html",
        {"blind": blind, "summary": svc.blind_session_summary(session=blind)},
    )


@login_required
def blind_judge(request, session: int, position: int):
    blind = _own_session(request, session)
    judgement = _judgement(blind, position)
    status = 200
    if request.method == "POST":
        form = BlindJudgementForm(request.POST)
        if form.is_valid():
            try:
                svc.blind_judgement_submit(
                    judgement=judgement, reviewer=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("Judgement saved."))
                return redirect("synthesis-blind-session", session=blind.pk)
        status = 400
    elif judgement.is_judged:
        return redirect("synthesis-blind-session", session=blind.pk)
    else:
        form = BlindJudgementForm()
    context = {"blind": blind, "judgement": judgement, "form": form}
    return render(request, "synthesis/review_blind.html", context, status=status)


@login_required
def blind_image(request, session: int, position: int):
    blind = _own_session(request, session)
    judgement = _judgement(blind, position)
    response = HttpResponse(svc.blind_image_bytes(judgement=judgement), content_type="image/jpeg")
    # Private: this URL is the reviewer's alone, and never cached by a shared cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
