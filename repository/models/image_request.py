from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from repository.vocabulary import BodySite, Fitzpatrick, Modality


class ImageRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=ImageRequest.Status.OPEN)

    def with_progress(self):
        public = Q(images__status="public")
        return self.annotate(
            fulfilled_count=Count("images", filter=public),
        ).annotate(unmet=F("quantity") - F("fulfilled_count"))

    def by_unmet_need(self):
        return self.with_progress().order_by("-unmet", "created_at")

    def matching(self, *, diagnosis, fitzpatrick: int):
        return self.open().filter(
            diagnosis=diagnosis, fitzpatrick_min__lte=fitzpatrick, fitzpatrick_max__gte=fitzpatrick
        )


class ImageRequest(models.Model):
    """A clinician's or researcher's call for images the open database lacks."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FULFILLED = "fulfilled", _("Fulfilled")
        CLOSED = "closed", _("Closed by requester")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="image_requests"
    )
    diagnosis = models.ForeignKey("repository.Diagnosis", on_delete=models.PROTECT)
    fitzpatrick_min = models.PositiveSmallIntegerField(choices=Fitzpatrick.choices)
    fitzpatrick_max = models.PositiveSmallIntegerField(choices=Fitzpatrick.choices)
    body_site = models.CharField(max_length=24, choices=BodySite.choices, blank=True)
    modality = models.CharField(max_length=16, choices=Modality.choices)
    quantity = models.PositiveIntegerField(_("how many are wanted"))
    reason = models.TextField(_("why they are needed"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImageRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fitzpatrick_min__lte=F("fitzpatrick_max")),
                name="imagerequest_fitzpatrick_range",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="imagerequest_quantity"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.diagnosis.code} on {self.fitzpatrick_label}"

    @property
    def fitzpatrick_label(self) -> str:
        lo, hi = self.get_fitzpatrick_min_display(), self.get_fitzpatrick_max_display()
        return lo if lo == hi else f"{lo}–{hi}"

    def public_count(self) -> int:
        return self.images.filter(status="public").count()

    def accepts(self, *, diagnosis_id: int, fitzpatrick: int) -> bool:
        return (
            self.status == self.Status.OPEN
            and diagnosis_id == self.diagnosis_id
            and self.fitzpatrick_min <= fitzpatrick <= self.fitzpatrick_max
        )
