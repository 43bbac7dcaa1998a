"""The style-template form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from repository.vocabulary import Fitzpatrick


class StyleTemplateForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"))
    fitzpatrick = forms.TypedChoiceField(
        choices=Fitzpatrick.choices, coerce=int, label=_("Fitzpatrick type it represents")
    )
    patch = forms.FileField(required=False, label=_("Upload a skin patch (JPEG, PNG or WebP)"))
    image = forms.IntegerField(required=False, min_value=1, label=_("…or cut it from image number"))
    left = forms.IntegerField(required=False, min_value=0, label=_("Left (px)"))
    top = forms.IntegerField(required=False, min_value=0, label=_("Top (px)"))
    width = forms.IntegerField(required=False, min_value=1, label=_("Width (px)"))
    height = forms.IntegerField(required=False, min_value=1, label=_("Height (px)"))

    def clean(self):
        data = super().clean()
        has_upload = bool(data.get("patch"))
        has_crop = data.get("image") is not None
        if has_upload == has_crop:
            raise forms.ValidationError(
                _("Either upload a patch, or give an image number and a box to cut — not both.")
            )
        if has_crop and any(data.get(k) is None for k in ("left", "top", "width", "height")):
            raise forms.ValidationError(_("Give the box's left, top, width and height."))
        return data
