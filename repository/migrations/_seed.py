"""The starting diagnosis vocabulary, shared by migration 0002 and the tests (whose
transactional tests flush tables, migration data included). The names are stored in English
and marked so that makemessages puts them in the catalogues: Diagnosis.display_name translates
them."""

from django.utils.translation import gettext_noop

DIAGNOSES = [
    ("akiec", gettext_noop("Actinic keratosis / intraepithelial carcinoma"), True),
    ("bcc", gettext_noop("Basal cell carcinoma"), True),
    ("bkl", gettext_noop("Benign keratosis"), False),
    ("df", gettext_noop("Dermatofibroma"), False),
    ("mel", gettext_noop("Melanoma"), True),
    ("nv", gettext_noop("Melanocytic nevus"), False),
    ("vasc", gettext_noop("Vascular lesion"), False),
    ("atopic-dermatitis", gettext_noop("Atopic dermatitis"), False),
    ("psoriasis", gettext_noop("Psoriasis"), False),
    ("acne", gettext_noop("Acne"), False),
    ("vitiligo", gettext_noop("Vitiligo"), False),
    ("tinea", gettext_noop("Tinea"), False),
    ("urticaria", gettext_noop("Urticaria"), False),
    ("lichen-planus", gettext_noop("Lichen planus"), False),
    ("pityriasis-rosea", gettext_noop("Pityriasis rosea"), False),
    ("pih", gettext_noop("Post-inflammatory hyperpigmentation"), False),
    ("keloid", gettext_noop("Keloid"), False),
    ("covid-rash", gettext_noop("COVID-19–associated rash"), False),
]


def seed_diagnoses(apps) -> None:
    Diagnosis = apps.get_model("repository", "Diagnosis")
    for order, (code, name, malignant) in enumerate(DIAGNOSES):
        Diagnosis.objects.update_or_create(
            code=code, defaults={"name": name, "malignant": malignant, "sort_order": order}
        )
