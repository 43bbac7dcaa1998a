"""The starting diagnosis vocabulary, shared by migration 0002 and the tests (whose
transactional tests flush tables, migration data included)."""

DIAGNOSES = [
    ("akiec", "Actinic keratosis / intraepithelial carcinoma", True),
    ("bcc", "Basal cell carcinoma", True),
    ("bkl", "Benign keratosis", False),
    ("df", "Dermatofibroma", False),
    ("mel", "Melanoma", True),
    ("nv", "Melanocytic nevus", False),
    ("vasc", "Vascular lesion", False),
    ("atopic-dermatitis", "Atopic dermatitis", False),
    ("psoriasis", "Psoriasis", False),
    ("acne", "Acne", False),
    ("vitiligo", "Vitiligo", False),
    ("tinea", "Tinea", False),
    ("urticaria", "Urticaria", False),
    ("lichen-planus", "Lichen planus", False),
    ("pityriasis-rosea", "Pityriasis rosea", False),
    ("pih", "Post-inflammatory hyperpigmentation", False),
    ("keloid", "Keloid", False),
    ("covid-rash", "COVID-19–associated rash", False),
]


def seed_diagnoses(apps) -> None:
    Diagnosis = apps.get_model("repository", "Diagnosis")
    for order, (code, name, malignant) in enumerate(DIAGNOSES):
        Diagnosis.objects.update_or_create(
            code=code, defaults={"name": name, "malignant": malignant, "sort_order": order}
        )
