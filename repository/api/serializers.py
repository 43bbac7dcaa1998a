from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from repository.models import Diagnosis, ImageRequest, LesionImage
from repository.vocabulary import AGE_BIN_CHOICES, BodySite, Confirmation, Licence, Modality, Sex


class FileLinks(serializers.Serializer):
    image = serializers.URLField()
    thumbnail = serializers.URLField()
    mask = serializers.URLField(required=False)


class CatalogueRowOutput(serializers.Serializer):
    """One row of the catalogue (real or synthetic); `fields=` trims it."""

    uid = serializers.CharField()
    origin = serializers.ChoiceField(choices=["real", "synthetic"])
    id = serializers.IntegerField()
    url = serializers.URLField()
    diagnosis = serializers.CharField()
    diagnosis_confirmation = serializers.CharField(allow_null=True)
    fitzpatrick = serializers.IntegerField(allow_null=True)
    monk_tone = serializers.IntegerField(allow_null=True)
    modality = serializers.CharField(allow_null=True)
    body_site = serializers.CharField(allow_null=True)
    age_bin = serializers.IntegerField(allow_null=True)
    sex = serializers.CharField(allow_null=True)
    licence = serializers.CharField()
    lesion_identifier = serializers.CharField(allow_null=True)
    contributor = serializers.CharField(allow_null=True)
    request = serializers.IntegerField(allow_null=True)
    method = serializers.CharField(allow_null=True)
    backend = serializers.CharField(allow_null=True)
    model_version = serializers.CharField(allow_null=True)
    seed = serializers.IntegerField(allow_null=True)
    source_image = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sha256 = serializers.CharField()
    ita_deg = serializers.FloatField(allow_null=True)
    estimated_fitzpatrick = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    files = FileLinks()


class CataloguePageOutput(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = CatalogueRowOutput(many=True)


class MetadataRevisionOutput(serializers.Serializer):
    changed_by = serializers.CharField(source="changed_by.username")
    changed_at = serializers.DateTimeField()
    changes = serializers.JSONField(help_text='field -> {"from": old, "to": new}')
    reason = serializers.CharField()
    after_publication = serializers.BooleanField()
    sent_back_for_review = serializers.ListField(child=serializers.IntegerField())


class LesionImageDetailOutput(serializers.ModelSerializer):
    uid = serializers.SerializerMethodField()
    origin = serializers.SerializerMethodField()
    diagnosis = serializers.CharField(source="diagnosis.code")
    diagnosis_name = serializers.CharField(source="diagnosis.name")
    contributor = serializers.CharField(source="contributor.username")
    tone = serializers.SerializerMethodField()
    tone_labels = serializers.SerializerMethodField()
    history = MetadataRevisionOutput(source="revisions", many=True, read_only=True)

    class Meta:
        model = LesionImage
        fields = [
            "uid",
            "origin",
            "id",
            "status",
            "diagnosis",
            "diagnosis_name",
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
            "source_note",
            "request",
            "width",
            "height",
            "file_format",
            "sha256",
            "mask_source",
            "mask_segmenter",
            "mask_check",
            "needs_mask",
            "created_at",
            "moderated_at",
            "tone",
            "tone_labels",
            "history",
        ]

    def get_uid(self, obj) -> str:
        return f"real-{obj.pk}"

    def get_origin(self, obj) -> str:
        return "real"

    def get_tone_labels(self, obj) -> list[dict]:
        """Every source's label side by side: clinician, self-report, other raters, measured."""
        from repository.services.tone_labels import tone_labels_side_by_side

        return [
            {
                "source": row.source,
                "fitzpatrick": row.fitzpatrick,
                "monk_tone": row.monk_tone,
                "rater": row.rater,
                "detail": row.detail,
            }
            for row in tone_labels_side_by_side(image=obj)
        ]

    def get_tone(self, obj) -> dict | None:
        if obj.analysis_status != LesionImage.AnalysisStatus.DONE:
            return None
        return {
            "ita_deg": obj.ita_deg,
            "estimated_fitzpatrick": obj.measured_fitzpatrick,
            "disagrees_with_label": obj.tone_flagged,
            "measurement": obj.tone_measurement,
        }


@extend_schema_field(OpenApiTypes.BINARY)
class UploadField(serializers.FileField):
    """An uploaded file: the bytes of a multipart part (the schema says binary, not a URL)."""


class LesionImageInput(serializers.Serializer):
    image = UploadField()
    diagnosis = serializers.CharField()
    fitzpatrick = serializers.CharField(help_text="1–6 or I–VI")
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


class NearDuplicateOutput(serializers.Serializer):
    uid = serializers.CharField(help_text="the image this upload looks like (real-N, synthetic-N)")
    url = serializers.CharField(
        allow_blank=True, help_text="its page, empty when you may not open it"
    )
    fine_distance = serializers.IntegerField(help_text="fingerprint distance, 0–256 bits")


class ContributionCreatedOutput(LesionImageDetailOutput):
    """The new image, and the images already in PixGen it looks very like (moderators decide)."""

    near_duplicates = NearDuplicateOutput(many=True, source="_near_duplicates")

    class Meta(LesionImageDetailOutput.Meta):
        fields = [*LesionImageDetailOutput.Meta.fields, "near_duplicates"]


class ContributionOutput(serializers.ModelSerializer):
    diagnosis = serializers.CharField(source="diagnosis.code")

    class Meta:
        model = LesionImage
        fields = [
            "id",
            "status",
            "rejection_reason",
            "diagnosis",
            "fitzpatrick",
            "analysis_status",
            "tone_flagged",
            "created_at",
        ]


class ImageRequestOutput(serializers.ModelSerializer):
    diagnosis = serializers.CharField(source="diagnosis.code")
    requester = serializers.CharField(source="requester.username")
    fulfilled = serializers.IntegerField(source="fulfilled_count", read_only=True)

    class Meta:
        model = ImageRequest
        fields = [
            "id",
            "status",
            "diagnosis",
            "fitzpatrick_min",
            "fitzpatrick_max",
            "body_site",
            "modality",
            "quantity",
            "fulfilled",
            "reason",
            "requester",
            "created_at",
            "fulfilled_at",
        ]


class ImageRequestInput(serializers.Serializer):
    diagnosis = serializers.SlugRelatedField(slug_field="code", queryset=Diagnosis.objects.active())
    fitzpatrick_min = serializers.IntegerField(min_value=1, max_value=6)
    fitzpatrick_max = serializers.IntegerField(min_value=1, max_value=6)
    body_site = serializers.ChoiceField(
        choices=BodySite.choices, required=False, allow_blank=True, default=""
    )
    modality = serializers.ChoiceField(choices=Modality.choices)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    reason = serializers.CharField(max_length=5000)


class CoverageCellOutput(serializers.Serializer):
    diagnosis = serializers.CharField(source="diagnosis.code")
    fitzpatrick = serializers.IntegerField()
    count = serializers.IntegerField(help_text="public real images")
    synthetic = serializers.IntegerField(help_text="approved synthetic images, counted apart")
    level = serializers.CharField()
    open_requests = serializers.IntegerField()


class SyntheticImageDetailOutput(serializers.Serializer):
    """A synthetic image with everything needed to know how it was made."""

    uid = serializers.SerializerMethodField()
    origin = serializers.SerializerMethodField()
    id = serializers.IntegerField()
    status = serializers.CharField()
    method = serializers.CharField()
    backend = serializers.CharField()
    model_version = serializers.CharField()
    diagnosis = serializers.CharField(source="diagnosis.code")
    fitzpatrick = serializers.IntegerField(allow_null=True, help_text="the target type")
    target = serializers.JSONField()
    templates = serializers.SerializerMethodField()
    params = serializers.JSONField()
    seed = serializers.IntegerField()
    measurements = serializers.JSONField()
    measured_ita = serializers.FloatField(allow_null=True)
    in_band = serializers.BooleanField(allow_null=True)
    target_draw = serializers.JSONField(help_text="the skin colour drawn for this output")
    skin_tone = serializers.JSONField(help_text="the output's skin, measured independently")
    lesion_fidelity = serializers.JSONField()
    lesion_fidelity_ok = serializers.BooleanField(allow_null=True)
    realism_score = serializers.FloatField(allow_null=True, help_text="lower is closer to real")
    realism_band = serializers.CharField()
    source_image = serializers.SerializerMethodField()
    body_site = serializers.CharField()
    age_bin = serializers.IntegerField(allow_null=True)
    sex = serializers.CharField()
    licence = serializers.CharField()
    job = serializers.IntegerField(source="job_id", allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_uid(self, obj) -> str:
        return f"synthetic-{obj.pk}"

    def get_origin(self, obj) -> str:
        return "synthetic"

    def get_templates(self, obj) -> list[dict]:
        return [{"id": t.pk, "name": t.name} for t in obj.templates.all()]

    def get_source_image(self, obj) -> str | None:
        return f"real-{obj.source_image_id}" if obj.source_image_id else None
