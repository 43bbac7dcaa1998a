"""Why a job or an item failed is stored as a stable code with its parameters and worded in the
reader's language: on the page, in the job's JSON and in the API (`error` follows
Accept-Language, `error_code` never changes). Reasons stored as English before codes existed
are read back into codes by the migration."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from repository.job_errors import MESSAGES, JobError
from repository.migrations._legacy_errors import parse_legacy
from synthesis.models import JobItem, SynthesisJob
from synthesis.services.jobs import job_create_tone_transfer
from synthesis.services.tone_transfer import tone_transfer_run_job
from tests.synthesis.test_jobs import _break_mask, fitz


def _in(language: str, error: JobError) -> str:
    with translation.override(language):
        return error.text()


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_coded_reason_is_worded_in_each_language(code):
    error = JobError.of(code, times=3, what="export", count=4, n=5, error="OSError: disk full")
    english = _in("en", error)
    assert "%(" not in english
    for language in ("ja", "id"):
        assert _in(language, error) != english, (code, language)


def test_the_kind_of_work_in_a_reason_is_translated_too():
    error = JobError.of("time_limit", what="release build")
    assert _in("en", error) == "The release build ran past its time limit and was stopped."
    assert "リリースの作成" in _in("ja", error)
    assert "pembuatan rilis" in _in("id", error)


def test_a_refusal_keeps_the_message_and_its_parameters_apart():
    exc = ValidationError(
        "Only a failed release can be built again.",
    )
    error = JobError.from_exception(exc)
    assert error.code == "rejected"
    assert _in("ja", error) != "Only a failed release can be built again."
    withparams = JobError.from_exception(
        ValidationError("Style template #%(template)s no longer exists.", params={"template": 9})
    )
    assert _in("en", withparams) == "Style template #9 no longer exists."
    assert "#9" in _in("id", withparams) and "sudah tidak ada" in _in("id", withparams)


def test_an_unexpected_error_keeps_its_own_text():
    error = JobError.from_exception(RuntimeError("database went away"))
    assert error.code == "unexpected"
    assert "RuntimeError: database went away" in _in("ja", error)
    assert error.fields()["error"] == "Unexpected error: RuntimeError: database went away"


def test_an_unknown_code_is_refused_when_stored():
    with pytest.raises(ValueError, match="unknown job error code"):
        JobError.of("nope")


@pytest.mark.django_db
def test_a_failed_tone_transfer_reads_in_the_readers_language(client, moderator, public_images):
    image = public_images[0]
    _break_mask(image)
    job = job_create_tone_transfer(user=moderator, targets=fitz(5), image_ids=[image.pk])
    job = tone_transfer_run_job(job_id=job.pk)
    item = job.items.get()
    assert item.status == JobItem.Status.FAILED and item.error_code == "rejected"
    assert job.error_code == "all_items_failed" and job.error_params == {"count": 1}
    # The English words stay in `error` whatever language the worker ran in.
    assert "The mask is 60×50 but the image is 600×450" in item.error
    with translation.override("ja"):
        assert "病変マスクは使用できません" in item.error_message
        assert job.error_message == "1 件の項目がすべて失敗しました。"

    client.force_login(moderator)
    moderator.language = "id"
    moderator.save(update_fields=["language"])
    page = client.get(reverse("synthesis-job-detail", args=[job.pk])).content.decode()
    assert "Semua 1 item gagal." in page and "tidak dapat digunakan" in page
    status = client.get(reverse("synthesis-job-progress", args=[job.pk])).json()
    assert status["error"] == "Semua 1 item gagal." and status["error_code"] == "all_items_failed"

    api = client.get("/api/v1/jobs/", headers={"accept-language": "ja"}).json()
    row = next(r for r in api if r["id"] == job.pk)
    assert row["error"] == "1 件の項目がすべて失敗しました。"
    assert row["error_code"] == "all_items_failed"
    english = client.get("/api/v1/jobs/", headers={"accept-language": "en"}).json()
    assert next(r for r in english if r["id"] == job.pk)["error"] == "All 1 items failed."


@pytest.mark.parametrize(
    ("stored", "code", "params"),
    [
        (
            "The worker running this job was lost 3 times; it is stopped so that it cannot take "
            "another worker down. Retry it once the cause is fixed.",
            "worker_lost",
            {"times": 3},
        ),
        (
            "The worker was lost 2 times while rendering this item.",
            "item_worker_lost",
            {"times": 2},
        ),
        ("The export ran past its time limit and was stopped.", "time_limit", {"what": "export"}),
        ("All 12 items failed.", "all_items_failed", {"count": 12}),
        ("Cancelled at step 40.", "cancelled_at_step", {"n": 40}),
        ("OSError: disk full", "unexpected", {"error": "OSError: disk full"}),
        (
            "Only a failed release can be built again.",
            "other",
            {"messages": [{"message": "Only a failed release can be built again.", "params": {}}]},
        ),
        ("", "", {}),
    ],
)
def test_the_migration_reads_old_english_reasons_into_codes(stored, code, params):
    assert parse_legacy(stored) == (code, params)
    if code:
        # Read back, the old reason is worded as before in English and translated in Japanese.
        again = JobError(code, params)
        assert _in("en", again) in {stored, f"Unexpected error: {stored}"}
        assert _in("ja", again) != _in("en", again)


def test_the_migration_codes_the_rows_it_finds(seeded_db, moderator, public_images):
    # Migrating needs a transactional database; seeded_db puts back the vocabulary that
    # earlier transactional tests flushed.
    from django.core.management import call_command

    job = job_create_tone_transfer(user=moderator, targets=fitz(5), image_ids=[public_images[0].pk])
    SynthesisJob.objects.filter(pk=job.pk).update(status="failed", error="All 1 items failed.")
    call_command("migrate", "synthesis", "0013", verbosity=0)
    call_command("migrate", "synthesis", verbosity=0)
    job.refresh_from_db()
    assert job.error_code == "all_items_failed" and job.error_params == {"count": 1}


@pytest.mark.django_db
def test_a_refusal_is_stored_in_english_whatever_language_the_work_starts_in(moderator):
    from django.utils.translation import gettext

    from synthesis.services.job_harness import job_run

    job = SynthesisJob.objects.create(kind=SynthesisJob.Kind.AUDIT, created_by=moderator)

    def refuse(run):
        raise ValidationError(gettext("Nothing was imported."))

    with translation.override("ja"), pytest.raises(ValidationError):
        job_run(SynthesisJob, job.pk, refuse, what="bias audit")
    job.refresh_from_db()
    assert job.status == SynthesisJob.Status.FAILED and job.error_code == "rejected"
    assert job.error == "Nothing was imported."
    with translation.override("ja"):
        assert job.error_message == "何も取り込まれませんでした。"


def test_a_failed_model_version_reads_in_the_readers_language():
    from synthesis.models import ClassifierModel, GanModel

    gan = GanModel(**JobError.of("cancelled_at_step", n=40).fields())
    assert gan.error == "Cancelled at step 40."
    classifier = ClassifierModel(**JobError.from_exception(RuntimeError("out of memory")).fields())
    with translation.override("id"):
        assert "40" in gan.error_message and gan.error_message != gan.error
        assert "RuntimeError: out of memory" in classifier.error_message
        assert classifier.error_message.startswith("Galat tak terduga")
