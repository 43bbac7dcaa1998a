"""A diagnosis suggestion for the upload page from the newest ready dx7 model. It is shown
to the contributor as a suggestion only; nothing here is ever stored as a label."""

import logging

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from repository.imaging import decode_rgb
from repository.models import Diagnosis
from repository.services.ingest import read_limited, upload_deidentify
from repository.services.permissions import require_verified_clinician
from synthesis.models import ClassifierModel
from synthesis.services.classifier_audit import classifier_load

logger = logging.getLogger(__name__)
TOP_K = 3


def diagnosis_suggest(rgb) -> dict | None:
    """{"version", "suggestions": [{"code", "name", "probability"}]} (top 3), or None when
    there is no usable dx7 model. `rgb` is an HxWx3 uint8 array or a PIL image."""
    from synthesis.ml.classifier import predict_proba

    model = ClassifierModel.objects.latest_ready("dx7")
    if model is None:
        return None
    try:
        trained = classifier_load(model=model)  # cached per process by weights file
        proba = predict_proba(trained, [rgb], device="cpu")[0]
    except (ValidationError, ValueError) as exc:
        logger.warning("no suggestion from %s: %s", model.version, exc)
        return None
    names = dict(Diagnosis.objects.values_list("code", "name"))
    top = np.argsort(-proba)[:TOP_K]
    return {
        "version": model.version,
        "suggestions": [
            {
                "code": trained.classes[i],
                "name": names.get(trained.classes[i], trained.classes[i]),
                "probability": round(float(proba[i]), 3),
            }
            for i in top
        ],
    }


def diagnosis_suggest_for_upload(*, user, fileobj) -> dict:
    """Check a file chosen on the upload page as ingest would, and suggest a diagnosis for it.

    Nothing is stored: no row, no file. {"suggestion": None} when there is no usable model."""
    require_verified_clinician(user)
    if fileobj is None:
        raise ValidationError({"image": _("Choose an image file first.")}, code="required")
    # The same de-identification and caps as ingest, so the model sees what would be stored.
    clean = upload_deidentify(read_limited(fileobj, max_bytes=settings.PIXGEN_MAX_UPLOAD_BYTES))
    result = diagnosis_suggest(decode_rgb(clean.content))
    if result is None:
        return {"suggestion": None}
    return {
        "model": result["version"],
        "suggestions": result["suggestions"],
        "note": _("A suggestion from model %(version)s, not a diagnosis")
        % {"version": result["version"]},
    }
