"""The Celery application; configuration comes from Django settings (CELERY_ prefix)."""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pixgen.settings.development")

app = Celery("pixgen")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _import_ml_before_fork(**_kwargs) -> None:
    """Import torch and the segmenter's inference code once, in the worker's parent: the pool
    processes forked from it start with them imported instead of each spending seconds on it
    at its first image. Imports only: no model is loaded and no torch thread is started."""
    import synthesis.ml.segmentation_training  # noqa: F401  (load_checkpoint, torch)
    import synthesis.ml.skin_tone  # noqa: F401


@worker_process_init.connect
def _torch_threads(**_kwargs) -> None:
    """Each pool process gets PIXGEN_WORKER_THREADS torch threads (1 by default): the pool
    already runs one process per core, and more threads than cores make every image slower."""
    import torch
    from django.conf import settings

    torch.set_num_threads(int(settings.PIXGEN_WORKER_THREADS))
