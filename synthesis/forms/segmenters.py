"""The segmenter-training form."""

from django import forms
from django.utils.translation import gettext_lazy as _


class TrainSegmenterForm(forms.Form):
    epochs = forms.IntegerField(min_value=1, max_value=500, initial=30, label=_("Epochs"))
    image_size = forms.TypedChoiceField(
        choices=[(64, "64"), (128, "128"), (192, "192"), (256, "256")],
        coerce=int,
        initial=128,
        label=_("Training resolution (px)"),
    )
