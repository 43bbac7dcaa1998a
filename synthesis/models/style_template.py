from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from repository.vocabulary import Fitzpatrick


class StyleTemplateQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_fitzpatrick(self, skin_type: int):
        return self.active().filter(fitzpatrick=skin_type).order_by("-created_at", "-id")


class StyleTemplate(models.Model):
    """A patch of healthy skin with its measured tone: what a templates target mixes from."""

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
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StyleTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["fitzpatrick", "name"]

    def __str__(self) -> str:
        return self.name
