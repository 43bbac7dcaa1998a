from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from synthesis.services.review_report import review_report


@login_required
def report(request):
    return render(request, "synthesis/review_report.html", review_report(user=request.user))
