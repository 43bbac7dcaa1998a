"""Synthesis jobs through the API, for moderators and reviewers (the roles that run them)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from synthesis.ml.tone_transfer import DEFAULT_BACKEND
from synthesis.models import SynthesisJob
from synthesis.selectors import synthesis_jobs
from synthesis.services.jobs import job_cancel, job_create_tone_transfer
from synthesis.services.permissions import is_synthesis_staff


class SynthesisStaff(permissions.BasePermission):
    message = gettext_lazy("Synthesis jobs are for moderators and reviewers.")

    def has_permission(self, request, view):
        return is_synthesis_staff(request.user)


class JobOutput(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username")
    error = serializers.CharField(
        source="error_message",
        read_only=True,
        help_text="why it failed, in the request's language (Accept-Language)",
    )
    error_code = serializers.CharField(
        read_only=True, help_text="why it failed, as a stable code (empty: it has not failed)"
    )

    class Meta:
        model = SynthesisJob
        fields = [
            "id",
            "kind",
            "status",
            "params",
            "items_total",
            "items_done",
            "items_failed",
            "progress",
            "error",
            "error_code",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]


class TargetInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["fitzpatrick", "ita", "templates"])
    fitzpatrick = serializers.CharField(required=False)
    ita_deg = serializers.FloatField(required=False)
    template_a = serializers.CharField(required=False)
    template_b = serializers.CharField(required=False)
    alpha = serializers.FloatField(required=False)


class ToneTransferJobInput(serializers.Serializer):
    targets = TargetInput(many=True)
    image_filter = serializers.DictField(child=serializers.CharField(), required=False)
    image_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False
    )
    backend = serializers.CharField(required=False, default=DEFAULT_BACKEND)
    backend_params = serializers.DictField(required=False)
    seed = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**31 - 1)
    # Per-type skin colour distributions ({"name": ..., "types": {"1": {...}, ..., "6": {...}}});
    # omitted: the published colorimetry. Checked by the service (missing types -> 400).
    target_distribution = serializers.JSONField(required=False, allow_null=True)
    draw_targets = serializers.BooleanField(required=False, default=True)


class Jobs(APIView):
    """GET: recent jobs; POST: a tone-transfer job (images by filter or ids × targets)."""

    permission_classes = [SynthesisStaff]

    @extend_schema(operation_id="jobs_list", responses=JobOutput(many=True))
    def get(self, request):
        jobs = synthesis_jobs()[:200]
        return Response(JobOutput(jobs, many=True).data)

    @extend_schema(
        operation_id="jobs_create", request=ToneTransferJobInput, responses={201: JobOutput}
    )
    def post(self, request):
        data = ToneTransferJobInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = job_create_tone_transfer(
            user=request.user,
            targets=[dict(t) for t in values["targets"]],
            image_filter=values.get("image_filter"),
            image_ids=values.get("image_ids"),
            backend=values["backend"],
            backend_params=values.get("backend_params"),
            seed=values["seed"],
            target_distribution=values.get("target_distribution"),
            draw_targets=values["draw_targets"],
        )
        return Response(JobOutput(job).data, status=status.HTTP_201_CREATED)


class JobDetail(APIView):
    permission_classes = [SynthesisStaff]

    @extend_schema(operation_id="jobs_retrieve", responses=JobOutput)
    def get(self, request, pk: int):
        return Response(JobOutput(get_object_or_404(SynthesisJob, pk=pk)).data)


class JobCancel(APIView):
    permission_classes = [SynthesisStaff]

    @extend_schema(operation_id="jobs_cancel", request=None, responses=JobOutput)
    def post(self, request, pk: int):
        job = get_object_or_404(SynthesisJob, pk=pk)
        return Response(JobOutput(job_cancel(job=job, user=request.user)).data)
