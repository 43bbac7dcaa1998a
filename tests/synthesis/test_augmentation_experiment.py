"""The augmentation experiment through Django: checks before anything trains, runs stored in
the classifier registry, cancel and resume, the command, the pages, downloads and the home page."""

import csv
import hashlib
import json
import shutil

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from synthesis.models import AugmentationExperiment, AugmentationRun, ClassifierModel, SynthesisJob
from synthesis.services import augmentation as service
from synthesis.services import job_harness
from synthesis.services.augmentation import (
    DatabaseStore,
    augmentation_experiment_create,
    augmentation_experiment_resume,
    augmentation_experiment_run,
)
from synthesis.services.jobs import job_cancel
from tests.conftest import demo_image_path, demo_rows
from tests.synthesis.classifier_fixtures import (
    _one_thread_and_few_resamples,  # noqa: F401 (autouse fixture)
    approved_synthetic,
    repository_images,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.django_db
TINY = {"arch": "mobilenet_v3_small", "image_size": 32, "batch_size": 8, "augment": False}


@pytest.fixture
def with_synthetic(moderator, repository_images):  # noqa: F811
    """An approved tone-transferred image for every other demo image (some of held-out lesions)."""
    return [approved_synthetic(image, created_by=moderator) for image in repository_images[::2]]


def create(moderator, **overrides):
    values = {
        "user": moderator,
        "task": "malignancy",
        "ratios": "0,0.25",
        "seeds": 1,
        "epochs": 1,
        "config": TINY,
        "enqueue": False,
    }
    return augmentation_experiment_create(**{**values, **overrides})


def write_eval_set(folder, rows):
    (folder / "images").mkdir(exist_ok=True)
    with open(folder / "eval.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image", "fitzpatrick", "diagnosis"])
        writer.writerows(rows)
    return folder / "eval.csv", folder / "images"


def test_a_ratio_without_enough_synthetic_images_is_refused_with_the_count(
    moderator, with_synthetic
):
    with pytest.raises(ValidationError) as err:
        create(moderator, ratios="0,3")
    text = " ".join(err.value.messages)
    assert "ratio 3 needs" in text and "exist" in text
    assert not SynthesisJob.objects.exists() and not AugmentationExperiment.objects.exists()


def test_a_task_the_images_have_no_labels_for_is_refused(moderator):
    with pytest.raises(ValidationError, match="0 real images have a label for the dx7"):
        create(moderator, task="dx7")


def test_external_images_missing_from_the_folder_are_refused_before_anything_is_stored(
    moderator, with_synthetic, tmp_path
):
    rows = demo_rows()
    csv_path, folder = write_eval_set(
        tmp_path, [[f"{r['image_id']}.jpg", 5, r["dx"]] for r in rows]
    )
    with pytest.raises(ValidationError, match=r"not found in"):
        create(moderator, eval_csv=csv_path, eval_images_dir=folder)
    assert not AugmentationExperiment.objects.exists()


def test_an_external_group_without_positives_is_refused(moderator, with_synthetic, tmp_path):
    benign = [r for r in demo_rows() if r["dx"] in ("nv", "bkl", "df")]
    csv_path, folder = write_eval_set(
        tmp_path, [[f"{r['image_id']}.jpg", 6, r["dx"]] for r in benign]
    )
    for r in benign:
        shutil.copy(demo_image_path(r["image_id"]), folder)
    with pytest.raises(ValidationError, match="group V-VI has 0 malignant"):
        create(moderator, eval_csv=csv_path, eval_images_dir=folder)


def test_bad_settings_and_non_moderators_are_refused(moderator, clinician, with_synthetic):
    with pytest.raises(ValidationError, match="not a number"):
        create(moderator, ratios="0,lots")
    with pytest.raises(ValidationError):
        create(moderator, seeds=0)
    with pytest.raises(PermissionDenied):
        create(clinician)


def test_experiment_stores_runs_in_the_registry_cancels_and_resumes(
    moderator, with_synthetic, monkeypatch
):
    monkeypatch.setattr(job_harness, "BEAT_EVERY", 0)  # see the cancel at the next check
    experiment = create(moderator, seeds=2)
    original = DatabaseStore.save

    def save_then_cancel(self, key, result, trained):
        original(self, key, result, trained)
        if AugmentationRun.objects.count() == 1:
            job_cancel(job=experiment.job, user=moderator)

    monkeypatch.setattr(DatabaseStore, "save", save_then_cancel)
    assert augmentation_experiment_run(job_id=experiment.job_id, device="cpu") is None
    experiment.refresh_from_db()
    assert experiment.job.status == SynthesisJob.Status.CANCELLED and not experiment.report
    first = AugmentationRun.objects.get()
    assert first.classifier.status == ClassifierModel.Status.READY and first.classifier.weights
    with first.classifier.weights.open("rb") as fh:  # stored like every registry's weights
        assert hashlib.sha256(fh.read()).hexdigest() == first.classifier.weights_sha256

    monkeypatch.setattr(DatabaseStore, "save", original)
    augmentation_experiment_resume(experiment=experiment, user=moderator, enqueue=False)
    done = augmentation_experiment_run(job_id=experiment.job_id, device="cpu")
    assert done.job.status == SynthesisJob.Status.SUCCEEDED
    runs = list(done.runs.order_by("ratio", "seed"))
    assert [(r.ratio, r.seed) for r in runs] == [(0, 0), (0, 1), (0.25, 0), (0.25, 1)]
    assert ClassifierModel.objects.filter(job=done.job).count() == 4  # the first not retrained
    assert runs[0].pk == first.pk
    assert runs[2].result["n_train_synthetic"] > 0 and runs[0].result["n_train_synthetic"] == 0
    assert runs[2].classifier.with_synthetic and not runs[0].classifier.with_synthetic
    report = done.report["held_out"]
    assert report["ratios"] == [0.0, 0.25] and report["seeds"] == [0, 1]
    assert set(report["effects"]["0.25"]) >= {"overall", "V-VI"}
    assert done.start_record == {"kind": "scratch"}
    with pytest.raises(ValidationError, match="Only a cancelled or failed"):
        augmentation_experiment_resume(experiment=done, user=moderator, enqueue=False)


@pytest.fixture
def finished(moderator, with_synthetic):
    experiment = create(moderator)
    return augmentation_experiment_run(job_id=experiment.job_id, device="cpu")


def test_report_page_downloads_and_home_headline(client, finished):
    page = client.get(reverse("synthesis-experiment-detail", args=[finished.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "too few (" in body  # demo groups are small: counts, never a number
    assert "Held-out real images" in body
    data = client.get(reverse("synthesis-experiment-json", args=[finished.pk]))
    assert json.loads(data.content)["reports"]["held_out"]["n"] == finished.report["held_out"]["n"]
    table = client.get(reverse("synthesis-experiment-csv", args=[finished.pk])).content.decode()
    rows = list(csv.DictReader(table.splitlines()))
    assert {r["ratio"] for r in rows} == {"0", "0.25"} and rows[0]["set"] == "held_out"
    for kind in ("auc", "roc", "calibration", "ece"):
        for theme in ("light", "dark"):
            png = client.get(
                reverse("synthesis-experiment-plot", args=[finished.pk, "held_out", kind]),
                {"theme": theme},
            )
            assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    missing = reverse("synthesis-experiment-plot", args=[finished.pk, "external", "roc"])
    assert client.get(missing).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert reverse("synthesis-experiment-detail", args=[finished.pk]) in home


def test_home_says_when_there_is_no_experiment(client, db):
    assert "No experiment yet" in client.get(reverse("home")).content.decode()


# The start form as a moderator fills it in, at the smallest settings.
START = {
    "task": "malignancy",
    "ratios": "0",
    "seeds": 1,
    "epochs": 1,
    "arch": "mobilenet_v3_small",
    "image_size": 64,
    "start": "scratch",
    "pretrain_epochs": 1,
}


def test_start_form_errors_are_shown_not_raised(client, moderator, with_synthetic):
    client.force_login(moderator)
    response = client.post(
        reverse("synthesis-experiment-start"),
        {**START, "ratios": "0,50"},
    )
    assert response.status_code == 400
    assert "ratio 50 needs" in response.content.decode()
    assert not AugmentationExperiment.objects.exists()


def test_an_image_file_chosen_twice_is_a_form_error(client, moderator, db):
    client.force_login(moderator)
    image = demo_image_path(demo_rows()[0]["image_id"]).read_bytes()
    response = client.post(
        reverse("synthesis-experiment-start"),
        {
            **START,
            "eval_csv": SimpleUploadedFile("eval.csv", b"image,fitzpatrick,diagnosis\n"),
            "images": [SimpleUploadedFile("a.jpg", image), SimpleUploadedFile("a.jpg", image)],
        },
    )
    assert response.status_code == 400
    assert "Image file(s) chosen twice: a.jpg." in response.content.decode()
    assert not AugmentationExperiment.objects.exists()


def test_start_form_queues_an_experiment(
    client, moderator, with_synthetic, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(service, "_enqueue", lambda job: sent.append(job.pk))
    client.force_login(moderator)
    response = client.post(
        reverse("synthesis-experiment-start"),
        {
            "task": "malignancy",
            "ratios": "0,0.25",
            "seeds": 2,
            "epochs": 1,
            "arch": "mobilenet_v3_small",
            "image_size": 64,
            "start": "self_supervised",
            "pretrain_epochs": 1,
        },
    )
    experiment = AugmentationExperiment.objects.get()
    assert response.status_code == 302 and sent == [experiment.job_id]
    assert experiment.start == "self_supervised" and experiment.plan["seeds"] == [0, 1]
    listing = client.get(reverse("synthesis-experiments")).content.decode()
    assert f"#{experiment.pk}" in listing


def test_non_moderators_cannot_start(client, clinician):
    client.force_login(clinician)
    assert client.post(reverse("synthesis-experiment-start"), {}).status_code == 403


def test_command_writes_report_files_and_refuses_bad_input(moderator, with_synthetic, tmp_path):
    with pytest.raises(CommandError, match="ratio 10 needs"):
        call_command(
            "evaluate_augmentation",
            "--task",
            "malignancy",
            "--synthetic-ratio",
            "0,10",
            "--user",
            moderator.username,
        )
    with pytest.raises(CommandError, match="go together"):
        call_command(
            "evaluate_augmentation",
            "--task",
            "malignancy",
            "--eval-csv",
            "x.csv",
            "--user",
            moderator.username,
        )
    out = tmp_path / "out"
    call_command(
        "evaluate_augmentation",
        "--task",
        "malignancy",
        "--synthetic-ratio",
        "0,0.25",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--image-size",
        "32",
        "--arch",
        "mobilenet_v3_small",
        "--start",
        "self-supervised",
        "--pretrain-epochs",
        "1",
        "--out",
        str(out),
        "--user",
        moderator.username,
        "--device",
        "cpu",
    )
    assert json.loads((out / "report.json").read_text())["start"]["method"] == "simclr"
    assert (out / "report.csv").read_text().startswith("set,ratio,section,metric")
    assert (out / "held_out-roc.png").read_bytes().startswith(b"\x89PNG")
    experiment = AugmentationExperiment.objects.get()
    assert experiment.pretrained and experiment.start_record["kind"] == "self_supervised"
    assert all(r.classifier.metrics["start"] == "self_supervised" for r in experiment.runs.all())
