from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.vocabulary import Fitzpatrick


class StyleTemplateQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, status=StyleTemplate.Status.ACCEPTED)

    def proposed(self):
        return self.filter(status=StyleTemplate.Status.PROPOSED)

    def real_skin(self):
        """Accepted templates cut from photographs of real skin (not rendered by PixGen)."""
        return self.active().filter(origin=StyleTemplate.Origin.REAL)

    def for_fitzpatrick(self, skin_type: int):
        return self.active().filter(fitzpatrick=skin_type).order_by("-created_at", "-id")


class StyleTemplate(models.Model):
    """A patch of healthy skin with its measured tone: what a templates target mixes from."""

    class Origin(models.TextChoices):
        REAL = "real", _("Real skin (photograph)")
        RENDERED = "rendered", _("Rendered by PixGen (not real skin)")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed — awaiting a moderator")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    name = models.CharField(_("name"), max_length=120, unique=True)
    patch = models.FileField(_("skin patch"), max_length=255)
    fitzpatrick = models.PositiveSmallIntegerField(
        _("Fitzpatrick type"), choices=Fitzpatrick.choices
    )
    ita_deg = models.FloatField(_("measured ITA (degrees)"))
    lab_stats = models.JSONField(default=dict, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    source_image = models.ForeignKey(
        "repository.LesionImage",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="style_templates",
    )
    # (left, top, width, height) of the patch in the source image, when cut from one.
    crop_box = models.JSONField(null=True, blank=True)
    note = models.CharField(_("how it was made"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)
    origin = models.CharField(
        _("origin"), max_length=16, choices=Origin.choices, default=Origin.REAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACCEPTED
    )
    # Carried from the source image: a template cut from a contributed photograph is a
    # derivative of it and keeps its licence and credit.
    licence = models.CharField(_("licence"), max_length=16, blank=True)
    attribution = models.CharField(_("attribution"), max_length=255, blank=True)
    # Multi-scale texture statistics of the patch (skin_texture.texture_stats) and the share
    # of it the skin detector reads as skin.
    texture = models.JSONField(default=dict, blank=True)
    skin_share = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StyleTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["fitzpatrick", "name"]

    def __str__(self) -> str:
        return self.name
