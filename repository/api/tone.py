"""Skin-tone labels and agreement in the API: add a rater's label or the patient's self-report,
and read how the sources agree."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from repository.api.permissions import CatalogueReadable
from repository.models import LesionImage
from repository.services.tone_labels import (
    tone_agreement_report,
    tone_flag_rates,
    tone_label_add,
    tone_labels_side_by_side,
    tone_self_report_set,
)
from repository.tone_questionnaire import QUESTION_KEYS
from synthesis.ml.skin_tone import METHOD_VERSION


class ToneRowOutput(serializers.Serializer):
    source = serializers.CharField()
    fitzpatrick = serializers.IntegerField(allow_null=True)
    monk_tone = serializers.IntegerField(allow_null=True)
    rater = serializers.CharField()
    detail = serializers.CharField()


class ToneLabelInput(serializers.Serializer):
    fitzpatrick = serializers.CharField(required=False, allow_blank=True, help_text="1–6 or I–VI")
    monk_tone = serializers.CharField(required=False, allow_blank=True, help_text="1–10")


class SelfReportInput(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=f"the six questionnaire items, 0–4 each: {', '.join(QUESTION_KEYS)}",
    )
    fitzpatrick = serializers.CharField(
        required=False, allow_blank=True, help_text="the type the patient states, 1–6 or I–VI"
    )


class ComparisonOutput(serializers.Serializer):
    left = serializers.CharField()
    right = serializers.CharField()
    n = serializers.IntegerField()
    exact = serializers.FloatField(allow_null=True)
    within_one = serializers.FloatField(allow_null=True)
    group = serializers.FloatField(allow_null=True)
    group_kappa = serializers.FloatField(allow_null=True, required=False)
    weighted_kappa = serializers.FloatField(allow_null=True)


class FlagRateOutput(serializers.Serializer):
    group = serializers.CharField()
    analysed = serializers.IntegerField()
    flagged = serializers.IntegerField()
    not_gradable = serializers.IntegerField()
    cannot_tell = serializers.IntegerField()
    flag_rate = serializers.FloatField(allow_null=True)
    not_gradable_rate = serializers.FloatField(allow_null=True)


class AgreementOutput(serializers.Serializer):
    method_version = serializers.CharField()
    scope = serializers.CharField()
    images = serializers.IntegerField()
    comparisons = ComparisonOutput(many=True)
    flag_rates = FlagRateOutput(many=True)
    flag_rate_ratio = serializers.FloatField(allow_null=True)


def _image(request, pk: int) -> LesionImage:
    return get_object_or_404(
        LesionImage.objects.visible_to(request.user).select_related("contributor"), pk=pk
    )


def _rows(image) -> list[dict]:
    return ToneRowOutput(tone_labels_side_by_side(image=image), many=True).data


class ImageToneLabels(APIView):
    """All tone labels of an image by source (GET); add or replace your own (POST)."""

    permission_classes = [CatalogueReadable]

    @extend_schema(operation_id="image_tone_labels_list", responses=ToneRowOutput(many=True))
    def get(self, request, pk: int):
        return Response(_rows(_image(request, pk)))

    @extend_schema(
        operation_id="image_tone_labels_create",
        request=ToneLabelInput,
        responses={201: ToneRowOutput(many=True)},
    )
    def post(self, request, pk: int):
        if not request.user.is_authenticated:
            self.permission_denied(request)
        image = _image(request, pk)
        data = ToneLabelInput(data=request.data)
        data.is_valid(raise_exception=True)
        tone_label_add(image=image, user=request.user, **data.validated_data)
        return Response(_rows(image), status=status.HTTP_201_CREATED)


class ImageSelfReport(APIView):
    """The patient's self-report of an image (contributor or moderator)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=SelfReportInput, responses={201: ToneRowOutput(many=True)})
    def post(self, request, pk: int):
        image = _image(request, pk)
        data = SelfReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        tone_self_report_set(
            image=image,
            user=request.user,
            answers=data.validated_data.get("answers"),
            fitzpatrick=data.validated_data.get("fitzpatrick"),
        )
        return Response(_rows(image), status=status.HTTP_201_CREATED)


class ToneAgreement(APIView):
    """Agreement between the tone sources (exact, within one type, same group, weighted
    kappa) and flag rates per labelled group: public images, or all for moderators."""

    permission_classes = [CatalogueReadable]

    @extend_schema(responses=AgreementOutput)
    def get(self, request):
        moderator = request.user.is_authenticated and request.user.is_moderator
        images = LesionImage.objects.all() if moderator else LesionImage.objects.public()
        report = tone_agreement_report(images=images)
        rates = tone_flag_rates(images=images)
        return Response(
            AgreementOutput(
                {
                    "method_version": METHOD_VERSION,
                    "scope": "all" if moderator else "public",
                    "images": report["images"],
                    "comparisons": report["comparisons"],
                    "flag_rates": rates["groups"],
                    "flag_rate_ratio": rates["flag_rate_ratio"],
                }
            ).data
        )
