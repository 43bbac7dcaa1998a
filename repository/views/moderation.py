from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.forms import DecisionForm
from repository.models import ClinicianApplication, LesionImage, User
from repository.services.accounts import clinician_decide, role_set
from repository.services.moderation import image_publish, image_reject
from repository.services.tone_labels import tone_flag_rates
from repository.views.common import local_next


def _require_moderator(request):
    if not request.user.is_moderator:
        raise PermissionDenied(_("This page is for moderators."))


@login_required
def queue(request):
    _require_moderator(request)
    images = LesionImage.objects.pending().select_related("diagnosis", "contributor")
    if request.GET.get("flagged"):
        images = images.tone_flagged()
    page = Paginator(images.order_by("created_at"), 24).get_page(request.GET.get("page"))
    applications = ClinicianApplication.objects.filter(
        status=ClinicianApplication.Status.PENDING
    ).select_related("user")
    return render(
        request,
        "repository/moderation_queue.html",
        {
            "page": page,
            "applications": applications,
            "form": DecisionForm(),
            "flag_rates": tone_flag_rates(images=LesionImage.objects.all()),
        },
    )


@login_required
@require_POST
def decide_image(request, pk: int):
    _require_moderator(request)
    image = get_object_or_404(LesionImage, pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        if request.POST.get("action") == "publish":
            image_publish(image=image, moderator=request.user)
            messages.success(request, _("Image #%(id)s is public.") % {"id": pk})
        else:
            image_reject(
                image=image, moderator=request.user, reason=form.cleaned_data.get("reason", "")
            )
            messages.success(request, _("Image #%(id)s was rejected.") % {"id": pk})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(local_next(request, reverse("moderation-queue")))


@login_required
@require_POST
def decide_application(request, pk: int):
    _require_moderator(request)
    application = get_object_or_404(ClinicianApplication, pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        clinician_decide(
            application=application,
            moderator=request.user,
            approve=request.POST.get("action") == "approve",
            reason=form.cleaned_data.get("reason", ""),
        )
        messages.success(request, _("Decision recorded; the applicant was notified."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("moderation-queue")


@login_required
def users(request):
    _require_moderator(request)
    q = request.GET.get("q", "").strip()
    people = User.objects.select_related("clinician_application").order_by("username")
    if q:
        people = people.filter(Q(username__icontains=q) | Q(email__icontains=q))
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    return render(request, "repository/users.html", {"page": page, "q": q})


@login_required
@require_POST
def set_role(request, pk: int):
    _require_moderator(request)
    person = get_object_or_404(User, pk=pk)
    try:
        role_set(
            user=person,
            role=request.POST.get("role", ""),
            granted=request.POST.get("granted") == "1",
            moderator=request.user,
        )
        messages.success(request, _("Roles of %(user)s updated.") % {"user": person.username})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("users")
