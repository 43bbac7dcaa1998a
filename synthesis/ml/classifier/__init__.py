"""Skin-lesion classifiers (7-class diagnosis, benign/malignant): plain PyTorch, no Django.

The names below load their module on first use, so `synthesis.ml.classifier.tasks` or
`.config` can be read (by a page, say) without importing torch."""

import importlib

_WHERE = {
    "ClassifierConfig": "config",
    "LabelledImage": "data",
    "Split": "data",
    "records_from_metadata": "data",
    "split_records": "data",
    "predict_proba": "inference",
    "build_model": "models",
    "TASKS": "tasks",
    "Task": "tasks",
    "get_task": "tasks",
    "TrainedClassifier": "training",
    "load_classifier": "training",
    "save_classifier": "training",
    "train_classifier": "training",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
