from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.forms import ClinicianApplicationForm, SignUpForm, TokenForm
from repository.models import ApiToken
from repository.services.accounts import (
    api_token_issue,
    api_token_revoke,
    clinician_apply,
    data_terms_accept,
)
from repository.views.common import apply_errors


def signup(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        messages.success(request, _("Welcome to PixGen. Clinicians: apply for verification below."))
        return redirect("account")
    return render(request, "registration/signup.html", {"form": form})


@login_required
def account(request):
    application = getattr(request.user, "clinician_application", None)
    tokens = request.user.api_tokens.all() if request.user.is_researcher else []
    return render(
        request,
        "repository/account.html",
        {"application": application, "tokens": tokens, "token_form": TokenForm()},
    )


@login_required
def apply_verification(request):
    application = getattr(request.user, "clinician_application", None)
    form = ClinicianApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        try:
            clinician_apply(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your application was sent to the moderators."))
            return redirect("account")
    return render(request, "repository/apply.html", {"form": form})


@login_required
def data_terms(request):
    if request.method == "POST":
        if request.POST.get("accept") != "yes":
            messages.error(request, _("Tick the box to accept the data-use terms."))
        else:
            _token, key = data_terms_accept(user=request.user)
            return render(request, "repository/token_issued.html", {"key": key})
    return render(request, "repository/data_terms.html")


@login_required
@require_POST
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, key = api_token_issue(user=request.user, name=form.cleaned_data["name"])
        return render(request, "repository/token_issued.html", {"key": key})
    return redirect("account")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    try:
        api_token_revoke(token=token, user=request.user)
        messages.success(request, _("Token revoked."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("account")
