import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from repository.imaging import decode_mask
from repository.models import LesionImage
from repository.services.analysis import image_analyse, image_mask_replace
from synthesis.ml.metrics import dice
from tests.conftest import DEMO_DIR, demo_rows, ingest

pytestmark = pytest.mark.django_db


def test_analysis_writes_a_mask_close_to_the_expert_one(clinician):
    row = demo_rows()[0]
    image = ingest(clinician, row["image_id"], fitzpatrick=row["fitzpatrick"])
    image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert image.analysis_status == LesionImage.AnalysisStatus.DONE
    mask = decode_mask(image.mask.open("rb").read(), size=(image.width, image.height))
    truth = np.asarray(Image.open(DEMO_DIR / "masks" / f"{row['image_id']}.png")) >= 128
    assert dice(mask, truth) > 0.6
    assert image.measured_fitzpatrick == int(row["fitzpatrick"])
    assert not image.tone_flagged


def test_clear_disagreement_with_the_label_is_flagged(clinician):
    # The demo images are light skin; a Fitzpatrick VI label on one is a clear disagreement.
    image = ingest(clinician, demo_rows()[0]["image_id"], fitzpatrick=6)
    image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert image.tone_flagged
    assert image in LesionImage.objects.tone_flagged()


def test_analysis_is_idempotent(clinician):
    image = ingest(clinician)
    image_analyse(image_id=image.pk)
    first = LesionImage.objects.get(pk=image.pk)
    image_analyse(image_id=image.pk)
    second = LesionImage.objects.get(pk=image.pk)
    assert second.mask.name == first.mask.name and second.ita_deg == first.ita_deg


def test_analysis_of_a_vanished_image_does_nothing(db):
    assert image_analyse(image_id=987654) is None


def test_manual_mask_is_kept_and_tone_remeasured(clinician):
    row = demo_rows()[0]
    image = ingest(clinician, row["image_id"])
    data = (DEMO_DIR / "masks" / f"{row['image_id']}.png").read_bytes()
    image_mask_replace(image=image, user=clinician, mask_data=data)
    image.refresh_from_db()
    assert image.mask_source == "manual" and image.analysis_status == "done"
    image_analyse(image_id=image.pk)  # a later analysis must not overwrite a person's mask
    image.refresh_from_db()
    assert image.mask_source == "manual"
    stored = decode_mask(image.mask.open("rb").read())
    assert np.array_equal(stored, np.asarray(Image.open(io.BytesIO(data))) >= 128)


def test_measure_tone_command_prints_json(capsys):
    row = demo_rows()[0]
    call_command(
        "measure_tone",
        "--image",
        str(DEMO_DIR / "images" / f"{row['image_id']}.jpg"),
        "--mask",
        str(DEMO_DIR / "masks" / f"{row['image_id']}.png"),
    )
    result = json.loads(capsys.readouterr().out)
    assert {"ita_deg", "estimated_fitzpatrick"} <= result.keys()


def test_measure_tone_command_explains_bad_input(tmp_path):
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"nope")
    with pytest.raises(CommandError):
        call_command("measure_tone", "--image", str(bad))
    with pytest.raises(CommandError, match="No such file"):
        call_command("measure_tone", "--image", str(tmp_path / "missing.jpg"))
    row = demo_rows()[0]
    small = tmp_path / "small.png"
    Image.new("L", (5, 5)).save(small)
    with pytest.raises(CommandError, match="must match"):
        call_command(
            "measure_tone",
            "--image",
            str(DEMO_DIR / "images" / f"{row['image_id']}.jpg"),
            "--mask",
            str(small),
        )


def test_the_mask_of_a_public_image_is_served_to_anyone(client, clinician, moderator):
    from repository.services.moderation import image_publish

    image = ingest(clinician)
    image_analyse(image_id=image.pk)
    image_publish(image=image, moderator=moderator)
    response = client.get(f"/images/{image.pk}/mask/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    mask = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert mask.size == (image.width, image.height)
    detail = client.get(f"/api/v1/images/{image.pk}/").json()
    assert detail["files"]["mask"].endswith(f"/images/{image.pk}/mask/")
