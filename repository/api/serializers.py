from django.urls import reverse
from rest_framework import serializers

from repository.models import LesionImage
from repository.vocabulary import AGE_BIN_CHOICES, BodySite, Confirmation, Licence, Modality, Sex


class LesionImageOutput(serializers.ModelSerializer):
    diagnosis = serializers.CharField(source="diagnosis.code")
    contributor = serializers.CharField(source="contributor.username")
    origin = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    tone = serializers.SerializerMethodField()

    class Meta:
        model = LesionImage
        fields = [
            "id",
            "origin",
            "status",
            "diagnosis",
            "diagnosis_confirmation",
            "fitzpatrick",
            "monk_tone",
            "modality",
            "body_site",
            "age_bin",
            "sex",
            "licence",
            "lesion_identifier",
            "contributor",
            "request",
            "width",
            "height",
            "sha256",
            "created_at",
            "files",
            "tone",
        ]

    def get_origin(self, obj) -> str:
        return "real"

    def get_files(self, obj) -> dict:
        request = self.context.get("request")

        def url(kind):
            path = reverse("image-file", args=[obj.pk, kind])
            return request.build_absolute_uri(path) if request else path

        files = {"image": url("image"), "thumbnail": url("thumbnail")}
        if obj.mask:
            files["mask"] = url("mask")
        return files

    def get_tone(self, obj) -> dict | None:
        if obj.analysis_status != LesionImage.AnalysisStatus.DONE:
            return None
        return {
            "ita_deg": obj.ita_deg,
            "estimated_fitzpatrick": obj.measured_fitzpatrick,
            "flagged": obj.tone_flagged,
        }


class LesionImageInput(serializers.Serializer):
    image = serializers.FileField()
    diagnosis = serializers.CharField()
    fitzpatrick = serializers.CharField()
    modality = serializers.ChoiceField(choices=Modality.choices)
    diagnosis_confirmation = serializers.ChoiceField(choices=Confirmation.choices)
    body_site = serializers.ChoiceField(choices=BodySite.choices)
    licence = serializers.ChoiceField(choices=Licence.choices)
    consent_attested = serializers.BooleanField()
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)
    age_bin = serializers.ChoiceField(choices=AGE_BIN_CHOICES, required=False, allow_null=True)
    monk_tone = serializers.IntegerField(min_value=1, max_value=10, required=False, allow_null=True)
    lesion_identifier = serializers.CharField(required=False, allow_blank=True, max_length=64)
    request = serializers.IntegerField(required=False, allow_null=True)


class CoverageCellOutput(serializers.Serializer):
    diagnosis = serializers.CharField(source="diagnosis.code")
    fitzpatrick = serializers.IntegerField()
    count = serializers.IntegerField()
    level = serializers.CharField()
    open_requests = serializers.IntegerField()
