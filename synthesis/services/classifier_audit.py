"""Bias audits: a classifier's performance per Fitzpatrick type and group, on its held-out
split of the repository or on an external labelled set, beside a comparable model's."""

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from synthesis.models import BiasAudit, ClassifierModel
from synthesis.services.classifier_records import catalogue_records, local_files
from synthesis.services.files import read_stored

logger = logging.getLogger(__name__)


def bootstrap_rounds() -> int:
    return int(settings.PIXGEN_AUDIT_BOOTSTRAP)


def classifier_get(*, version: str) -> ClassifierModel:
    """A READY model by version; ValidationError naming the versions there are."""
    model = ClassifierModel.objects.filter(version=version).first()
    if model is None or not model.is_ready:
        known = list(ClassifierModel.objects.ready().values_list("version", flat=True)[:20])
        state = _("does not exist") if model is None else model.get_status_display().lower()
        raise ValidationError(
            _("Classifier %(v)s %(state)s. Ready versions: %(known)s.")
            % {"v": version, "state": state, "known": ", ".join(known) or _("none")}
        )
    return model


_LOADED: dict[str, object] = {}
_LOADED_MAX = 4


def _load_stored(weights_name: str):
    """Load once per process. Keyed by content, not name: a storage name can come back with
    other weights in it (a deleted and re-made version, a restored backup)."""
    from synthesis.ml.classifier import load_classifier

    data = read_stored(weights_name)
    digest = hashlib.sha256(data).hexdigest()
    if digest not in _LOADED:
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[digest] = load_classifier(data)
    return _LOADED[digest]


def classifier_load(*, model: ClassifierModel):
    """The TrainedClassifier behind a READY row (cached per process by its weights file)."""
    if not model.is_ready or not model.weights:
        raise ValidationError(_("Classifier %(v)s is not ready.") % {"v": model.version})
    try:
        return _load_stored(model.weights.name)
    except (OSError, ValueError) as exc:
        raise ValidationError(
            _("The weights of %(v)s cannot be read: %(e)s") % {"v": model.version, "e": exc}
        ) from None


def comparable_model(*, model: ClassifierModel) -> ClassifierModel | None:
    """The newest ready model of the same task trained on the other kind of data with the same
    seed and test split (real-only against real+synthetic)."""
    candidates = ClassifierModel.objects.ready().of_task(model.task).exclude(pk=model.pk)
    for other in candidates.filter(with_synthetic=not model.with_synthetic):
        if other.test_split == model.test_split and other.config.get("seed") == model.config.get(
            "seed"
        ):
            return other
    return None


def _held_out(trained, model: ClassifierModel):
    from synthesis.ml.classifier.inference import held_out_records

    with local_files() as fetch:
        records, _skipped = catalogue_records(task=model.task, fetch=fetch)
        try:
            chosen = held_out_records(trained, records)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        return _audit_all(trained, chosen)


def _audit_all(trained, records) -> dict:
    from synthesis.ml.audit import audit_classifier

    if not records:
        raise ValidationError(_("The evaluation set has no images."))
    try:
        return audit_classifier(trained, records, n_boot=bootstrap_rounds())
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _evaluate(model, eval_csv, eval_images_dir) -> dict:
    trained = classifier_load(model=model)
    if eval_csv is None:
        return _held_out(trained, model)
    from synthesis.ml.audit import load_eval_csv

    try:
        records = load_eval_csv(eval_csv, eval_images_dir, model.task)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return _audit_all(trained, records)


def audit_run(
    *,
    model: ClassifierModel,
    eval_csv: "str | Path | None" = None,
    eval_images_dir: "str | Path | None" = None,
    eval_name: str = "",
    compare_with: ClassifierModel | None = None,
    user=None,
    progress: Callable[..., None] | None = None,
) -> BiasAudit:
    """Audit `model` (and a comparable model, side by side) and store the report.

    progress(phase, version), if given, hears each phase: evaluating, partner,
    comparing."""
    progress = progress or (lambda phase, version="": None)
    if (eval_csv is None) != (eval_images_dir is None):
        raise ValidationError(_("An external evaluation needs both a CSV and an image folder."))
    if not model.is_ready:
        raise ValidationError(_("Classifier %(v)s is not ready.") % {"v": model.version})
    if compare_with is not None and compare_with.task != model.task:
        raise ValidationError(_("Only classifiers of the same task can be compared."))
    partner = compare_with or comparable_model(model=model)
    progress("evaluating", model.version)
    report = {"version": model.version, "model": _evaluate(model, eval_csv, eval_images_dir)}
    if partner is not None:
        report["partner_version"] = partner.version
        progress("partner", partner.version)
        report["partner"] = _evaluate(partner, eval_csv, eval_images_dir)
        progress("comparing", partner.version)
        report["comparison"] = _compare(model, report["model"], partner, report["partner"])
    source = BiasAudit.Source.HELD_OUT if eval_csv is None else BiasAudit.Source.EXTERNAL
    name = eval_name or (Path(eval_csv).name if eval_csv is not None else "")
    return BiasAudit.objects.create(
        model=model,
        compared_with=partner,
        source=source,
        eval_name=name[:255],
        report=report,
        created_by=user if user is not None and user.is_authenticated else None,
    )


def _compare(model, report, partner, partner_report) -> dict | None:
    from synthesis.ml.audit import compare

    pairs = [(model, report), (partner, partner_report)]
    pairs.sort(key=lambda p: p[0].with_synthetic)  # real-only first
    (a, ra), (b, rb) = pairs
    if a.with_synthetic == b.with_synthetic:
        names = (a.version, b.version)
    else:
        names = (f"real_only ({a.version})", f"real_plus_synthetic ({b.version})")
    try:
        return {**compare(ra, rb, names=names), "versions": [a.version, b.version]}
    except ValueError as exc:  # different evaluation sets: say so rather than hide it
        logger.info("audit comparison skipped: %s", exc)
        return {"unavailable": str(exc), "versions": [a.version, b.version]}
