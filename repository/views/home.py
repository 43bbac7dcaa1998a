from django.shortcuts import render

from repository.services.coverage import coverage_matrix, coverage_summary


def home(request):
    return render(
        request,
        "repository/home.html",
        {"summary": coverage_summary(), "rows": coverage_matrix()},
    )


def coverage(request):
    return render(request, "repository/coverage.html", {"rows": coverage_matrix()})
