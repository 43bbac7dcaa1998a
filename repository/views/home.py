from django.shortcuts import render

from repository.services.coverage import coverage_matrix, coverage_summary
from repository.services.dashboard import home_panels
from synthesis.models import AugmentationExperiment


def home(request):
    return render(
        request,
        "repository/home.html",
        {
            "summary": coverage_summary(),
            "rows": coverage_matrix(),
            "panels": home_panels(user=request.user),
            "api_root": request.build_absolute_uri("/api/v1/images/"),
            "experiment": AugmentationExperiment.objects.latest_completed(),
        },
    )


def coverage(request):
    return render(request, "repository/coverage.html", {"rows": coverage_matrix()})
