from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from synthesis.forms.segmenters import TrainSegmenterForm
from synthesis.models import SegmenterModel, SynthesisJob
from synthesis.selectors import registry_versions, training_jobs
from synthesis.services.segmenter_training import segmenter_train_job_create
from synthesis.views.common import require_moderator, require_staff


@login_required
def segmenter_list(request):
    require_staff(request)
    from synthesis.ml.shipped_segmenter import SHIPPED_VERSION, shipped_card

    return render(
        request,
        "synthesis/segmenter_list.html",
        {
            "models": registry_versions(SegmenterModel),
            "promoted": SegmenterModel.objects.promoted(),
            "shipped_version": SHIPPED_VERSION,
            "shipped": shipped_card(),
            "form": TrainSegmenterForm(),
            "jobs": training_jobs(SynthesisJob.Kind.TRAIN_SEGMENTER),
        },
    )


@login_required
@require_POST
def segmenter_train(request):
    require_moderator(request)
    form = TrainSegmenterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the training settings."))
        return redirect("synthesis-segmenters")
    try:
        job = segmenter_train_job_create(user=request.user, config=form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("synthesis-segmenters")
    messages.success(request, _("Training job #%(id)s is queued.") % {"id": job.pk})
    return redirect("synthesis-job-detail", pk=job.pk)
