from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from repository.models import LesionImage, User
from tests.conftest import DEMO_DIR

pytestmark = pytest.mark.django_db


def test_import_images_command_imports_the_demo_csv(clinician, capsys):
    call_command(
        "import_images",
        "--csv",
        str(DEMO_DIR / "metadata.csv"),
        "--images",
        str(DEMO_DIR / "images"),
        "--contributor",
        clinician.username,
        "--consent-attested",
    )
    out = capsys.readouterr().out
    assert "35 imported, 0 not imported" in out
    assert LesionImage.objects.filter(contributor=clinician).count() == 35


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--contributor", "nobody", "--consent-attested"], "No user named"),
        (["--contributor", "{clinician}"], "--consent-attested"),
    ],
)
def test_import_images_command_refuses_bad_input(clinician, args, message):
    args = [a.format(clinician=clinician.username) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command(
            "import_images",
            "--csv",
            str(DEMO_DIR / "metadata.csv"),
            "--images",
            str(DEMO_DIR / "images"),
            *args,
        )


def test_import_by_an_unverified_user_is_a_command_error(plain_user):
    with pytest.raises(CommandError, match="verified clinicians"):
        call_command(
            "import_images",
            "--csv",
            str(DEMO_DIR / "metadata.csv"),
            "--images",
            str(DEMO_DIR / "images"),
            "--contributor",
            plain_user.username,
            "--consent-attested",
        )


def test_load_demo_is_idempotent(capsys):
    call_command("load_demo")
    call_command("load_demo")
    out = capsys.readouterr().out
    assert "0 imported now, 35 already present" in out
    assert LesionImage.objects.count() == 35
    assert LesionImage.objects.public().count() == 32
    assert User.objects.get(username="moderator").is_moderator
    assert User.objects.get(username="clinician").is_verified_clinician
    assert User.objects.get(username="researcher").api_tokens.count() == 1
    assert "Demo DCGAN demo-dcgan-1: already installed" in out
    assert User.objects.get(username="reviewer2").is_reviewer
    assert "reviewer2" in out  # run alone, it lists the accounts; rundemo lists them itself


def test_rundemo_prints_accounts_and_token_then_the_address_last(capsys):
    from repository.management.commands.rundemo import Command

    Command()._print_accounts("pxg_demo_token", "127.0.0.1:8123", demo=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("PixGen is at http://127.0.0.1:8123/")
    text = "\n".join(lines)
    assert text.index("reviewer2") < text.index("pxg_demo_token") < text.index("PixGen is at")
    assert "pixgen-researcher" in text


def test_rundemo_waits_for_a_site_that_answers(live_server):
    from repository.management.commands.rundemo import _probe_url, site_answers

    assert site_answers(f"{live_server.url}/")
    assert not site_answers("http://127.0.0.1:9/")  # nothing listens on the discard port
    assert _probe_url("0.0.0.0:8000") == "http://127.0.0.1:8000/"


def test_worker_processes_get_their_torch_threads_and_the_broker_is_polled_often(settings):
    import torch

    from pixgen.celery import _torch_threads
    from pixgen.settings.base import filesystem_broker

    before = torch.get_num_threads()
    try:
        settings.PIXGEN_WORKER_THREADS = 1
        _torch_threads()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    options = filesystem_broker(Path(settings.VAR_DIR) / "broker")[1]
    assert options["polling_interval"] <= 0.2  # kombu's default of 1 s delays every task


def test_demo_jobs_split_the_darker_transfers_by_type_for_the_two_worker_processes(capsys):
    from synthesis.ml.fitzpatrick import DARKER
    from synthesis.services.demo_loop import (
        LIGHT_IMAGES,
        LIGHT_TARGET,
        TONE_IMAGES,
        demo_jobs_start,
    )

    call_command("load_demo", no_accounts=True)
    moderator = User.objects.get(username="moderator")
    jobs = demo_jobs_start(moderator=moderator, gan_model=None)
    targets = [sorted({item.target["fitzpatrick"] for item in job.items.all()}) for job in jobs]
    assert targets == [[4, 5], [6], [LIGHT_TARGET]]
    assert sorted(t for part in targets[:2] for t in part) == list(DARKER)
    images = [set(job.items.values_list("source_image", flat=True)) for job in jobs]
    assert images[0] == images[1] and len(images[0]) == TONE_IMAGES  # the same 8 images
    assert len(images[2]) == LIGHT_IMAGES and not images[2] & images[0]
    assert [j.items_total for j in jobs] == [16, 8, 10]
    assert [j.pk for j in demo_jobs_start(moderator=moderator, gan_model=None)] == [
        j.pk for j in jobs
    ]  # idempotent
