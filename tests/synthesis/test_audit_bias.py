"""Bias audits: held-out and external evaluation, bad input, the command and the pages."""

import csv
import io
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image

from synthesis.models import BiasAudit
from synthesis.services.classifier_audit import audit_run
from tests.conftest import demo_image_path, demo_rows
from tests.synthesis.classifier_fixtures import (
    _one_thread_and_few_resamples,  # noqa: F401 (autouse fixture)
    repository_images,  # noqa: F401 (fixture)
    train,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dx7_model(moderator, repository_images):  # noqa: F811
    return train(moderator)


def write_eval_set(folder, rows, header=("image", "fitzpatrick", "diagnosis")):
    (folder / "images").mkdir(exist_ok=True)
    with open(folder / "eval.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return folder / "eval.csv", folder / "images"


def demo_eval_rows(folder, count=12):
    rows = []
    for index, row in enumerate(demo_rows()[:count]):
        name = f"{row['image_id']}.jpg"
        (folder / "images").mkdir(exist_ok=True)
        (folder / "images" / name).write_bytes(demo_image_path(row["image_id"]).read_bytes())
        rows.append((name, ("V", "6", "56", "12")[index % 4], row["dx"]))
    return rows


def test_a_held_out_audit_reports_every_group_and_shows_thin_ones(dx7_model):
    audit = audit_run(model=dx7_model)
    report = audit.main
    assert audit.source == BiasAudit.Source.HELD_OUT
    assert report["n"] == len(dx7_model.test_split)
    assert set(report["groups"]) == {"I-II", "III-IV", "V-VI"}
    thin = [g for g, s in report["groups"].items() if s["insufficient"]]
    assert thin, "the set-up has groups too thin for an interval"
    for name in thin:
        section = report["groups"][name]
        assert "fewer than" in section["reason"] and "metrics" not in section
    assert not report["overall"]["insufficient"]
    overall = report["overall"]["metrics"]["balanced_accuracy"]
    assert overall["lo"] <= overall["point"] <= overall["hi"]
    assert "accuracy" in report["gap"]


def test_a_real_only_and_a_real_plus_synthetic_model_are_compared(dx7_model, moderator):
    # With no approved synthetic images the "mixed" model sees the same data and split.
    mixed = train(moderator, with_synthetic=True)
    audit = audit_run(model=mixed)
    assert audit.compared_with == dx7_model
    comparison = audit.comparison
    assert comparison["versions"] == [dx7_model.version, mixed.version]
    assert comparison["names"][0].startswith("real_only")
    assert "difference" in comparison["sections"]["overall"]["accuracy"]


def test_an_external_csv_is_audited(dx7_model, tmp_path):
    csv_path, images = write_eval_set(tmp_path, demo_eval_rows(tmp_path))
    audit = audit_run(model=dx7_model, eval_csv=csv_path, eval_images_dir=images)
    assert audit.source == BiasAudit.Source.EXTERNAL and audit.eval_name == "eval.csv"
    assert audit.main["n"] == 12 and audit.main["n_group_only"] == 6


@pytest.mark.parametrize(
    "case, message",
    [
        ("missing_column", "lacks column(s) diagnosis"),
        ("unknown_label", "unknown diagnosis 'wart'"),
        ("bad_fitzpatrick", "unknown Fitzpatrick value '9'"),
        ("undecodable", "does not decode"),
    ],
)
def test_bad_external_input_is_a_clear_error_and_stores_nothing(dx7_model, tmp_path, case, message):
    rows = demo_eval_rows(tmp_path, count=3)
    header = ("image", "fitzpatrick", "diagnosis")
    if case == "missing_column":
        header, rows = ("image", "fitzpatrick"), [r[:2] for r in rows]
    elif case == "unknown_label":
        rows[1] = (rows[1][0], "5", "wart")
    elif case == "bad_fitzpatrick":
        rows[1] = (rows[1][0], "9", "mel")
    else:
        (tmp_path / "images" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
        rows.append(("broken.jpg", "5", "mel"))
    csv_path, images = write_eval_set(tmp_path, rows, header)
    with pytest.raises(ValidationError, match=re.escape(message)):
        audit_run(model=dx7_model, eval_csv=csv_path, eval_images_dir=images)
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(
            "audit_bias", "--model", dx7_model.version, "--eval-csv", str(csv_path),
            "--eval-images", str(images), "--out", str(tmp_path / "r.json"),
        )  # fmt: skip
    assert not BiasAudit.objects.exists() and not (tmp_path / "r.json").exists()


def test_audit_bias_command_writes_the_report(dx7_model, tmp_path, capsys):
    out = tmp_path / "report.json"
    call_command("audit_bias", "--model", dx7_model.version, "--out", str(out))
    report = json.loads(out.read_text())
    assert report["version"] == dx7_model.version and report["model"]["task"] == "dx7"
    assert "too few" in capsys.readouterr().out
    assert BiasAudit.objects.count() == 1


def test_an_unknown_model_version_is_a_command_error_and_a_404(client, tmp_path, db):
    with pytest.raises(CommandError, match="dx7-0099 does not exist"):
        call_command("audit_bias", "--model", "dx7-0099", "--out", str(tmp_path / "r.json"))
    assert client.get(reverse("synthesis-classifier-detail", args=["dx7-0099"])).status_code == 404
    assert client.get(reverse("synthesis-audit-detail", args=[999])).status_code == 404


def test_audit_pages_and_plots_are_public(client, dx7_model):
    audit = audit_run(model=dx7_model)
    page = client.get(reverse("synthesis-audit-detail", args=[audit.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "too few (" in html and "report.json" in html
    for kind in ("bars-balanced_accuracy", "reliability", "confusion-overall"):
        png = client.get(reverse("synthesis-audit-plot", args=[audit.pk, kind]))
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get(reverse("synthesis-audit-plot", args=[audit.pk, "bars-x"])).status_code == 404
    # Dark pages get the dark version of each plot (and a system theme lets the browser choose).
    assert 'media="(prefers-color-scheme: dark)"' in html and "?theme=dark" in html
    dark = client.get(
        reverse("synthesis-audit-plot", args=[audit.pk, "reliability"]), {"theme": "dark"}
    )
    corner = Image.open(io.BytesIO(dark.content)).convert("RGB").getpixel((0, 0))
    assert corner == (0x20, 0x1A, 0x17)
    download = client.get(reverse("synthesis-audit-json", args=[audit.pk]))
    assert json.loads(download.content)["model_version"] == dx7_model.version
    assert dx7_model.version in client.get(reverse("synthesis-audits")).content.decode()
    assert client.get(reverse("synthesis-classifiers")).status_code == 200
    detail = client.get(reverse("synthesis-classifier-detail", args=[dx7_model.version]))
    assert detail.status_code == 200 and "Run a bias audit" not in detail.content.decode()


def test_a_researcher_cannot_run_an_audit(client, researcher, dx7_model):
    client.force_login(researcher)
    url = reverse("synthesis-classifier-audit", args=[dx7_model.version])
    assert client.post(url, {"source": "held_out"}).status_code == 403
    assert not BiasAudit.objects.exists()


def test_the_audit_form_queues_jobs_the_worker_runs(client, moderator, dx7_model, tmp_path):
    from synthesis.models import SynthesisJob
    from synthesis.services.audit_upload import audit_job_run
    from tests.conftest import stored_files

    client.force_login(moderator)
    url = reverse("synthesis-classifier-audit", args=[dx7_model.version])
    response = client.post(url, {"source": "held_out"})
    held_out = SynthesisJob.objects.get(kind=SynthesisJob.Kind.AUDIT)
    # No audit inside the request: a queued job, and the page that follows it.
    assert response.status_code == 302
    assert response.url == reverse("synthesis-job-detail", args=[held_out.pk])
    assert not BiasAudit.objects.exists()
    rows = demo_eval_rows(tmp_path)
    csv_path, images = write_eval_set(tmp_path, rows)

    def files():
        return [SimpleUploadedFile(r[0], (images / r[0]).read_bytes(), "image/jpeg") for r in rows]

    response = client.post(
        url,
        {"source": "external", "eval_csv": SimpleUploadedFile("e.csv", csv_path.read_bytes()),
         "images": files()},
    )  # fmt: skip
    assert response.status_code == 302
    external = SynthesisJob.objects.filter(kind=SynthesisJob.Kind.AUDIT).latest("pk")
    assert any(name.startswith("audit_uploads/") for name in stored_files())
    # A CSV naming an image that was not uploaded is a form error at once, not a failed job.
    response = client.post(
        url,
        {"source": "external", "eval_csv": SimpleUploadedFile("e.csv", csv_path.read_bytes()),
         "images": files()[:2]},
    )  # fmt: skip
    assert response.status_code == 400, response.content.decode()[-3000:]
    assert "not found" in response.content.decode(), response.content.decode()[-4000:]
    response = client.post(url, {"source": "external"})
    assert response.status_code == 400 and "Choose the evaluation CSV" in response.content.decode()
    assert SynthesisJob.objects.filter(kind=SynthesisJob.Kind.AUDIT).count() == 2

    for job in (held_out, external):
        page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
        assert "waiting for the worker" in page
        audit = audit_job_run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == "succeeded" and job.progress["audit"] == audit.pk
        page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
        assert reverse("synthesis-audit-detail", args=[audit.pk]) in page
        assert audit_job_run(job_id=job.pk) is None  # finished: a second delivery does nothing
    assert BiasAudit.objects.filter(source="external", eval_name="e.csv").exists()
    assert BiasAudit.objects.count() == 2
    assert not any(name.startswith("audit_uploads/") for name in stored_files())


def test_an_audit_job_reports_its_phases(moderator, dx7_model, monkeypatch):
    from synthesis.models import SynthesisJob
    from synthesis.services import classifier_audit
    from synthesis.services.audit_upload import audit_job_create, audit_job_run

    job = audit_job_create(model=dx7_model, user=moderator, enqueue=False)
    seen = []
    evaluate = classifier_audit._evaluate

    def spy(*args):
        row = SynthesisJob.objects.get(pk=job.pk)
        seen.append((row.progress["phase"], row.percent))
        return evaluate(*args)

    monkeypatch.setattr(classifier_audit, "_evaluate", spy)
    audit_job_run(job_id=job.pk)
    assert seen[0] == ("evaluating", 10)
    job.refresh_from_db()
    assert job.percent == 100 and job.progress["phase"] == "done"


def test_a_moderator_queues_training_from_the_form(
    client, moderator, django_capture_on_commit_callbacks
):
    from synthesis.models import SynthesisJob

    client.force_login(moderator)
    url = reverse("synthesis-classifier-train")
    form = {"task": "malignancy", "arch": "mobilenet_v3_small", "epochs": 1, "image_size": 64,
            "seed": 0}  # fmt: skip
    bad = client.post(url, {**form, "epochs": 0})
    assert bad.status_code == 400 and not SynthesisJob.objects.exists()
    from unittest import mock

    with mock.patch("synthesis.tasks.train_classifier_task.apply_async") as delay:
        delay.return_value.id = "task-1"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                url, {**form, "with_synthetic": "on", "methods": ["tone_transfer"]}
            )
    job = SynthesisJob.objects.get()
    assert response.status_code == 302 and delay.call_args.args == ((job.pk,),)
    assert job.celery_task_id == "task-1" and job.dispatched_at is not None
    assert job.params["synthetic_selection"]["methods"] == ["tone_transfer"]
