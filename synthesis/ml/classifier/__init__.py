"""Skin-lesion classifiers (7-class diagnosis, benign/malignant): plain PyTorch, no Django."""

from synthesis.ml.classifier.data import LabelledImage, Split, records_from_metadata, split_records
from synthesis.ml.classifier.inference import predict_proba
from synthesis.ml.classifier.models import build_model
from synthesis.ml.classifier.tasks import TASKS, Task, get_task
from synthesis.ml.classifier.training import (
    ClassifierConfig,
    TrainedClassifier,
    load_classifier,
    save_classifier,
    train_classifier,
)

__all__ = [
    "TASKS",
    "ClassifierConfig",
    "LabelledImage",
    "Split",
    "Task",
    "TrainedClassifier",
    "build_model",
    "get_task",
    "load_classifier",
    "predict_proba",
    "records_from_metadata",
    "save_classifier",
    "split_records",
    "train_classifier",
]
