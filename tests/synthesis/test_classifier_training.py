"""Training classifiers on the open database as jobs: versions, snapshots and fair splits."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from synthesis.models import ClassifierModel, SynthesisJob
from synthesis.services.classifier_training import classifier_train_job_create
from tests.synthesis.classifier_fixtures import (
    TINY,
    _one_thread_and_few_resamples,  # noqa: F401 (autouse fixture)
    approved_synthetic,
    repository_images,  # noqa: F401 (fixture)
    train,
)

pytestmark = pytest.mark.django_db


def test_a_training_job_stores_a_ready_version_with_split_and_metrics(
    moderator,
    repository_images,  # noqa: F811
):
    model = train(moderator)
    assert model.version == "dx7-0001" and model.status == ClassifierModel.Status.READY
    assert default_storage.exists(model.weights.name)
    snap = model.data_snapshot
    assert snap["n_real"] == 35 and len(snap["record_uids"]) == 35
    split = snap["split"]
    assert set(split["train"]) | set(split["test"]) == set(snap["record_uids"])
    assert not set(split["train"]) & set(split["test"])
    assert len(snap["fingerprint"]) == 64 and model.config["arch"] == "mobilenet_v3_small"
    assert 0 <= model.metrics["test_accuracy"] <= 1 and model.device == "cpu"
    job = SynthesisJob.objects.get(pk=model.job_id)
    assert job.status == SynthesisJob.Status.SUCCEEDED and job.progress["version"] == "dx7-0001"
    assert train(moderator, task="malignancy").version == "malignancy-0001"
    assert train(moderator).version == "dx7-0002"


def test_images_of_one_lesion_stay_on_one_side_of_the_split(
    moderator,
    repository_images,  # noqa: F811
):
    model = train(moderator)
    same_lesion = [i for i in repository_images if i.lesion_identifier == "HAM_0002450"]
    sides = {
        "test" if f"real-{i.pk}" in model.data_snapshot["split"]["test"] else "train"
        for i in same_lesion
    }
    assert len(same_lesion) == 2 and len(sides) == 1


def test_with_synthetic_keeps_the_identical_test_split(
    moderator,
    repository_images,  # noqa: F811
):
    for source in repository_images[:20]:
        approved_synthetic(source, created_by=moderator)
    approved_synthetic(repository_images[20], created_by=moderator, model_version="other-2")
    real = train(moderator)
    mixed = train(
        moderator,
        with_synthetic=True,
        selection={"methods": ["tone_transfer"], "model_versions": ["melanin-1"]},
    )
    assert mixed.with_synthetic and mixed.synthetic_selection["model_versions"] == ["melanin-1"]
    assert mixed.data_snapshot["split"]["test"] == real.data_snapshot["split"]["test"]
    assert mixed.config == real.config
    synthetic_uids = {u for u in mixed.data_snapshot["record_uids"] if u.startswith("synthetic")}
    assert len(synthetic_uids) == 20  # the other model version is not selected
    # Synthetic images of a held-out lesion are never trained on.
    test = set(real.data_snapshot["split"]["test"])
    assert (
        mixed.data_snapshot["n_train_synthetic"] + mixed.data_snapshot["n_excluded_synthetic"] == 20
    )
    assert not synthetic_uids & test


def test_too_few_images_fail_the_job_and_the_version(moderator, clinician):
    from synthesis.tasks import train_classifier_task

    job = classifier_train_job_create(user=moderator, task="dx7", config=TINY, enqueue=False)
    with pytest.raises(ValidationError):
        train_classifier_task(job.pk)
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.FAILED and "at least 4" in job.error
    model = ClassifierModel.objects.get(job=job)
    assert model.status == ClassifierModel.Status.FAILED and not model.weights
    assert ClassifierModel.objects.latest_ready("dx7") is None


def test_only_moderators_train_and_bad_settings_are_refused(moderator, researcher):
    with pytest.raises(PermissionDenied):
        classifier_train_job_create(user=researcher, task="dx7", config=TINY)
    with pytest.raises(ValidationError, match="Bad training settings"):
        classifier_train_job_create(user=moderator, task="dx7", config={"colour": "blue"})
    with pytest.raises(ValidationError, match="Bad training settings"):
        classifier_train_job_create(user=moderator, task="dx7", config={"epochs": 0})
    with pytest.raises(ValidationError, match="Unknown task"):
        classifier_train_job_create(user=moderator, task="dx9")
    with pytest.raises(ValidationError, match="Unknown synthesis method"):
        classifier_train_job_create(
            user=moderator, task="dx7", with_synthetic=True, synthetic_selection={"methods": ["x"]}
        )
    assert not SynthesisJob.objects.exists()


def test_train_classifier_command_prints_the_version_last(
    moderator,
    repository_images,  # noqa: F811
    capsys,
):
    call_command(
        "train_classifier",
        "--task", "malignancy", "--user", moderator.username, "--epochs", "1",
        "--image-size", "32", "--arch", "mobilenet_v3_small", "--device", "cpu",
    )  # fmt: skip
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "malignancy-0001" and "balanced accuracy" in lines[-2]
    with pytest.raises(CommandError, match="Bad training settings"):
        call_command("train_classifier", "--task", "dx7", "--user", moderator.username,
                     "--epochs", "0")  # fmt: skip
    with pytest.raises(CommandError, match="No user"):
        call_command("train_classifier", "--task", "dx7", "--user", "nobody")
