from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from repository.forms import RequestForm
from repository.models import ImageRequest
from repository.numbers import ascii_whole
from repository.services.requests import request_close, request_create
from repository.views.common import apply_errors


def board(request):
    requests = ImageRequest.objects.by_unmet_need().select_related("diagnosis", "requester")
    status = request.GET.get("status", "open")
    if status in ImageRequest.Status.values:
        requests = requests.filter(status=status)
    if request.GET.get("diagnosis"):
        requests = requests.filter(diagnosis__code=request.GET["diagnosis"])
    t = ascii_whole(request.GET.get("fitzpatrick", ""))
    if t is not None:
        requests = requests.filter(fitzpatrick_min__lte=t, fitzpatrick_max__gte=t)
    return render(
        request,
        "repository/request_board.html",
        {"requests": requests[:200], "status": status, "statuses": ImageRequest.Status.choices},
    )


@login_required
def create(request):
    form = RequestForm(request.POST or None, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            image_request = request_create(requester=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Your request is on the board."))
            return redirect("request-detail", pk=image_request.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "repository/request_form.html", {"form": form}, status=status)


def detail(request, pk: int):
    image_request = get_object_or_404(
        ImageRequest.objects.with_progress().select_related("diagnosis", "requester"), pk=pk
    )
    images = image_request.images.public().select_related("diagnosis")[:48]
    return render(
        request, "repository/request_detail.html", {"req": image_request, "images": images}
    )


@login_required
@require_POST
def close(request, pk: int):
    image_request = get_object_or_404(ImageRequest, pk=pk)
    try:
        request_close(request=image_request, user=request.user)
        messages.success(request, _("The request is closed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("request-detail", pk=pk)
