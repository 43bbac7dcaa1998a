from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from repository.views.images import results_navigation
from synthesis.models import SyntheticImage
from synthesis.selectors import synthetic_get, synthetic_images
from synthesis.services.targets import target_label
from synthesis.views.common import require_staff


@login_required
def synthetic_list(request):
    require_staff(request)
    status = request.GET.get("status", SyntheticImage.Status.PENDING_REVIEW)
    images = synthetic_images(user=request.user, status=status)
    page = Paginator(images, 48).get_page(request.GET.get("page"))
    return render(
        request,
        "synthesis/synthetic_list.html",
        {"page": page, "status": status, "statuses": SyntheticImage.Status.choices},
    )


def synthetic_detail(request, pk: int):
    synthetic = synthetic_get(pk=pk, user=request.user)
    if synthetic is None:
        raise Http404
    return render(
        request,
        "synthesis/synthetic_detail.html",
        {
            "synthetic": synthetic,
            "label": target_label(synthetic.target) if synthetic.target.get("kind") else "",
            "templates": synthetic.templates.all(),
            **results_navigation(request),
        },
    )
