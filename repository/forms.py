"""Web forms: they parse input; the services decide."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.exceptions import PermissionDenied
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from repository.models import ClinicianApplication, Diagnosis, ImageRequest, User
from repository.tone_questionnaire import QUESTION_KEYS, QUESTIONS
from repository.vocabulary import (
    AGE_BIN_CHOICES,
    BodySite,
    Confirmation,
    Fitzpatrick,
    Licence,
    Modality,
    Sex,
)


class StrictCheckbox(forms.CheckboxInput):
    """A checkbox that counts as ticked only for what a browser sends for a ticked box ("on",
    or a value such as "true", "1", "yes"). Django's own reads any other text as True, so a
    hand-made `consent_attested=0` or `=no` would attest consent."""

    TICKED = {"on", "true", "1", "yes"}

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return isinstance(value, str) and value.strip().lower() in self.TICKED


class _LoginGuard:
    """Says that sign-in is paused (rather than "wrong password") while the account or the
    address is locked; the authentication backend enforces it whatever the form."""

    def clean(self):
        from repository.services.login_guard import login_check_allowed

        try:
            login_check_allowed(request=self.request, username=self.cleaned_data.get("username"))
        except PermissionDenied as exc:
            raise forms.ValidationError(str(exc), code="locked") from None
        return super().clean()


class GuardedAuthenticationForm(_LoginGuard, AuthenticationForm):
    pass


class GuardedAdminAuthenticationForm(_LoginGuard, AdminAuthenticationForm):
    pass


class SignUpForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("username", "email", "first_name", "last_name")

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email


class ClinicianApplicationForm(forms.ModelForm):
    class Meta:
        model = ClinicianApplication
        fields = ("licence_number", "issuing_authority", "country", "institution", "specialty")


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (required to reject)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


CHOOSE = ("", _("— choose —"))

# What each Fitzpatrick type means, shown beside its swatch (Fitzpatrick 1988).
FITZPATRICK_MEANING = {
    1: _("always burns, never tans"),
    2: _("usually burns, tans minimally"),
    3: _("sometimes burns, tans gradually"),
    4: _("burns minimally, always tans well"),
    5: _("rarely burns, tans profusely"),
    6: _("never burns, deeply pigmented"),
}


def _required(message):
    """A label with no default: the contributor must choose it, and is told so."""
    return {"required": message}


class ImageMetadataFields(forms.Form):
    """The labels of one image. Nothing that labels the lesion is pre-selected, so a form
    submitted without looking cannot mislabel an image silently."""

    diagnosis = forms.ModelChoiceField(
        queryset=Diagnosis.objects.active(),
        empty_label=CHOOSE[1],
        label=_("Diagnosis"),
        error_messages=_required(_("Choose the diagnosis; PixGen never fills it in for you.")),
    )
    diagnosis_confirmation = forms.ChoiceField(
        choices=[CHOOSE, *Confirmation.choices],
        label=_("Confirmed by"),
        error_messages=_required(_("Choose how the diagnosis was confirmed.")),
    )
    fitzpatrick = forms.TypedChoiceField(
        # format_lazy, not an f-string: an f-string would freeze the words in the language
        # active at import (English) for every reader.
        choices=[
            (n, format_lazy("{} — {}", label, FITZPATRICK_MEANING[n]))
            for n, label in Fitzpatrick.choices
        ],
        coerce=int,
        widget=forms.RadioSelect,
        label=_("Fitzpatrick type"),
        error_messages=_required(
            _("Choose the Fitzpatrick type; PixGen never fills it in for you (see the reference).")
        ),
    )
    monk_tone = forms.TypedChoiceField(
        choices=[("", _("not recorded"))] + [(i, str(i)) for i in range(1, 11)],
        coerce=int,
        empty_value=None,
        required=False,
        initial="",
        widget=forms.RadioSelect,
        label=_("Monk skin tone"),
    )
    modality = forms.ChoiceField(
        choices=[CHOOSE, *Modality.choices],
        label=_("Modality"),
        error_messages=_required(_("Choose the modality: dermoscopic or clinical.")),
    )
    body_site = forms.ChoiceField(
        choices=[CHOOSE, *BodySite.choices],
        label=_("Body site"),
        error_messages=_required(_("Choose the body site (or Unknown).")),
    )
    age_bin = forms.TypedChoiceField(
        choices=[("", _("— not recorded —"))] + AGE_BIN_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Approximate age"),
    )
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN, label=_("Sex"))
    lesion_identifier = forms.CharField(
        max_length=64,
        required=False,
        label=_("Lesion identifier"),
        help_text=_("Use the same identifier for several images of one lesion."),
    )
    licence = forms.ChoiceField(choices=Licence.choices, initial=Licence.CC_BY, label=_("Licence"))
    request = forms.ModelChoiceField(
        queryset=ImageRequest.objects.open(), required=False, label=_("Fulfils request")
    )
    consent_attested = forms.BooleanField(
        required=True,
        widget=StrictCheckbox,
        label=_(
            "I attest that the patient consented to the open sharing of this de-identified image."
        ),
    )


ACCEPTED_IMAGES = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"


class UploadForm(ImageMetadataFields):
    image = forms.FileField(
        label=_("Image (JPEG, PNG or WebP)"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_IMAGES}),
    )
    field_order = ["image"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class BatchUploadForm(forms.Form):
    csv = forms.FileField(
        label=_("Metadata CSV"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text=_(
            "HAM10000 columns (lesion_id, image_id, dx, dx_type, age, sex, localization) "
            "plus fitzpatrick (1–6 or I–VI)."
        ),
    )
    images = MultipleFileField(
        label=_("Image files"), widget=MultipleFileInput(attrs={"accept": ACCEPTED_IMAGES})
    )
    modality = forms.ChoiceField(
        choices=[CHOOSE, *Modality.choices],
        label=_("Modality of these images"),
        error_messages=_required(_("Choose the modality: dermoscopic or clinical.")),
    )
    licence = forms.ChoiceField(choices=Licence.choices, initial=Licence.CC_BY, label=_("Licence"))
    diagnosis_confirmation = forms.ChoiceField(
        choices=[CHOOSE, *Confirmation.choices],
        label=_("Confirmed by (when the CSV has no dx_type)"),
        error_messages=_required(_("Choose how the diagnoses were confirmed.")),
    )
    request = forms.ModelChoiceField(
        queryset=ImageRequest.objects.open(), required=False, label=_("Fulfils request")
    )
    consent_attested = forms.BooleanField(
        required=True,
        widget=StrictCheckbox,
        label=_(
            "I attest that every patient consented to the open sharing "
            "of these de-identified images."
        ),
    )


class RequestForm(forms.Form):
    diagnosis = forms.ModelChoiceField(queryset=Diagnosis.objects.active(), label=_("Diagnosis"))
    fitzpatrick_min = forms.TypedChoiceField(
        choices=Fitzpatrick.choices, coerce=int, initial=4, label=_("Fitzpatrick from")
    )
    fitzpatrick_max = forms.TypedChoiceField(
        choices=Fitzpatrick.choices, coerce=int, initial=6, label=_("Fitzpatrick to")
    )
    body_site = forms.ChoiceField(
        choices=[("", _("— any —"))] + BodySite.choices, required=False, label=_("Body site")
    )
    modality = forms.ChoiceField(choices=Modality.choices, label=_("Modality"))
    quantity = forms.IntegerField(min_value=1, max_value=10_000, label=_("How many are wanted"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label=_("Why they are needed")
    )


class ImageFilterForm(forms.Form):
    diagnosis = forms.ModelChoiceField(
        queryset=Diagnosis.objects.active(),
        required=False,
        to_field_name="code",
        label=_("Diagnosis"),
    )
    fitzpatrick = forms.TypedChoiceField(
        choices=[("", _("any"))] + Fitzpatrick.choices,
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Fitzpatrick"),
    )
    body_site = forms.ChoiceField(
        choices=[("", _("any"))] + BodySite.choices, required=False, label=_("Body site")
    )
    modality = forms.ChoiceField(
        choices=[("", _("any"))] + Modality.choices, required=False, label=_("Modality")
    )
    request = forms.IntegerField(required=False, widget=forms.HiddenInput)


class MaskUploadForm(forms.Form):
    mask = forms.FileField(label=_("Mask PNG (lesion white, skin black, same size as the image)"))


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, label=_("Label for the new token"))


class ToneLabelForm(forms.Form):
    """Another rater's own skin-tone label for an image."""

    fitzpatrick = forms.TypedChoiceField(
        label=_("Fitzpatrick type"),
        choices=[("", "—"), *Fitzpatrick.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    monk_tone = forms.TypedChoiceField(
        label=_("Monk skin tone"),
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 11)],
        coerce=int,
        empty_value=None,
        required=False,
    )


class SelfReportForm(forms.Form):
    """The patient's self-report: the six Fitzpatrick questions and/or the type they state."""

    fitzpatrick = forms.TypedChoiceField(
        label=_("Type the patient states"),
        choices=[("", "—"), *Fitzpatrick.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label, answers in QUESTIONS:
            self.fields[key] = forms.TypedChoiceField(
                label=label,
                choices=[("", "—")] + [(i, text) for i, text in enumerate(answers)],
                coerce=int,
                empty_value=None,
                required=False,
            )

    def answers(self) -> dict | None:
        """The six answers when all were given, None when none were; a partial set is an error
        the service reports."""
        given = {k: self.cleaned_data.get(k) for k in QUESTION_KEYS}
        if all(v is None for v in given.values()):
            return None
        return {k: v for k, v in given.items() if v is not None}
