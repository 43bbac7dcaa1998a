import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from repository.imaging import decode_mask
from repository.models import LesionImage
from repository.services.analysis import image_analyse, image_mask_replace, tone_flag_decide
from synthesis.ml.metrics import dice
from synthesis.ml.skin_tone import METHOD_VERSION
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
    tone = image.tone_measurement
    assert tone["gradable"] and tone["method_version"] == METHOD_VERSION
    assert tone["fitzpatrick"]["call"] == "I-II" and image.measured_fitzpatrick <= 2
    assert image.ita_deg == tone["ita_deg"]
    assert not image.tone_flagged


def test_clear_disagreement_with_the_label_is_flagged(clinician):
    # The demo images are light skin; a Fitzpatrick VI label on one is a clear disagreement.
    image = ingest(clinician, demo_rows()[0]["image_id"], fitzpatrick=6)
    image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert image.tone_flagged
    assert image in LesionImage.objects.tone_flagged()


def test_a_neighbouring_label_is_not_flagged(clinician):
    image = ingest(clinician, demo_rows()[0]["image_id"], fitzpatrick=3)
    image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert image.tone_measurement["gradable"] and not image.tone_flagged


def _greyscale_jpeg() -> bytes:
    rgb = Image.open(DEMO_DIR / "images" / f"{demo_rows()[0]['image_id']}.jpg").convert("L")
    out = io.BytesIO()
    rgb.convert("RGB").save(out, format="JPEG", quality=92)
    return out.getvalue()


def test_a_greyscale_photograph_is_not_gradable_and_never_flagged(clinician):
    from repository.services.ingest import image_ingest
    from tests.conftest import metadata

    image = image_ingest(
        contributor=clinician,
        fileobj=io.BytesIO(_greyscale_jpeg()),
        metadata=metadata(fitzpatrick=6),
    )
    image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert image.analysis_status == LesionImage.AnalysisStatus.DONE
    assert image.tone_measurement["gradable"] is False
    assert image.tone_measurement["not_gradable"][0]["code"] == "greyscale"
    assert image.ita_deg is None and image.measured_fitzpatrick is None
    assert not image.tone_flagged
    assert "greyscale" in image.tone["reasons"][0]


def test_a_clinical_photograph_is_not_measured_with_the_dermoscopy_segmenter_mask(clinician):
    image = ingest(clinician, demo_rows()[0]["image_id"], modality="clinical")
    image_analyse(image_id=image.pk)
    image.refresh_from_db()
    assert image.tone_measurement["modality"] == "clinical"
    assert image.tone_measurement["skin"]["lesion_source"] == "colour-outliers"


def test_a_person_s_mask_is_used_on_a_clinical_photograph(clinician):
    row = demo_rows()[0]
    image = ingest(clinician, row["image_id"], modality="clinical")
    data = (DEMO_DIR / "masks" / f"{row['image_id']}.png").read_bytes()
    image_mask_replace(image=image, user=clinician, mask_data=data)
    image.refresh_from_db()
    assert image.tone_measurement["skin"]["lesion_source"] == "given"


def _measurement(call="V-VI", estimate=6, groups=None, gradable=True):
    groups = groups or {"I-II": 0.01, "III-IV": 0.04, "V-VI": 0.95}
    return {
        "gradable": gradable,
        "fitzpatrick": {"call": call, "estimate": estimate, "group_probabilities": groups},
    }


@pytest.mark.parametrize(
    "measurement, label, flagged",
    [
        (_measurement(), 1, True),  # confident V-VI against a type I label
        (_measurement(estimate=5), 4, False),  # one type away
        (_measurement(call="cannot tell"), 1, False),  # not confident
        (_measurement(groups={"I-II": 0.15, "III-IV": 0.2, "V-VI": 0.65}), 1, False),
        (_measurement(gradable=False), 1, False),  # never on "not gradable"
        ({"gradable": False, "not_gradable": []}, 1, False),
    ],
)
def test_the_fair_flag_needs_a_confident_clear_disagreement(measurement, label, flagged):
    assert tone_flag_decide(measurement=measurement, label=label) is flagged


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
    assert result["gradable"] and result["modality"] == "dermoscopic"
    assert {"ita_deg", "ita_interval", "l_star", "b_star", "melanin_index"} <= result.keys()
    assert result["fitzpatrick"]["estimate"] == result["estimated_fitzpatrick"]
    assert 0 < result["fitzpatrick"]["confidence"] <= 1 and 0 < result["monk"]["confidence"] <= 1
    assert result["method_version"] == METHOD_VERSION


def test_measure_tone_command_reads_a_clinical_photograph(capsys):
    row = demo_rows()[0]
    image = DEMO_DIR / "images" / f"{row['image_id']}.jpg"
    call_command("measure_tone", "--image", str(image), "--modality", "clinical")
    result = json.loads(capsys.readouterr().out)
    assert result["modality"] == "clinical"
    assert result["skin"]["lesion_source"] == "colour-outliers"


def test_measure_tone_command_says_why_an_image_is_not_gradable(capsys, tmp_path):
    grey = tmp_path / "grey.jpg"
    grey.write_bytes(_greyscale_jpeg())
    call_command("measure_tone", "--image", str(grey))
    result = json.loads(capsys.readouterr().out)
    assert result["gradable"] is False and result["estimated_fitzpatrick"] is None
    assert result["not_gradable"][0]["code"] == "greyscale"


def test_measure_tone_command_explains_bad_input(tmp_path):
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"nope")
    with pytest.raises(CommandError):
        call_command("measure_tone", "--image", str(bad))
    with pytest.raises(CommandError, match="No such file"):
        call_command("measure_tone", "--image", str(tmp_path / "missing.jpg"))
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("measure_tone", "--image", str(bad), "--modality", "xray")
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


def test_remeasure_tone_updates_only_images_measured_by_an_older_method(clinician, capsys):
    rows = demo_rows()
    old = ingest(clinician, rows[0]["image_id"])
    current = ingest(clinician, rows[1]["image_id"])
    for image in (old, current):
        image_analyse(image_id=image.pk)
    LesionImage.objects.filter(pk=old.pk).update(
        tone_measurement={"ita_deg": 40.0, "estimated_fitzpatrick": 2}, ita_deg=40.0
    )
    before = LesionImage.objects.get(pk=current.pk).analysed_at
    call_command("remeasure_tone")
    out = capsys.readouterr().out
    assert "1 images to measure" in out and "1/1 measured" in out and "1 gradable" in out
    old.refresh_from_db()
    assert old.tone_measurement["method_version"] == METHOD_VERSION
    assert old.ita_deg == old.tone_measurement["ita_deg"]
    assert LesionImage.objects.get(pk=current.pk).analysed_at == before
    call_command("remeasure_tone", "--all")
    assert "2 images to measure" in capsys.readouterr().out


def test_remeasure_tone_goes_on_past_a_missing_file_and_refuses_a_bad_limit(clinician, capsys):
    image = ingest(clinician)
    image_analyse(image_id=image.pk)
    image.image.storage.delete(image.image.name)
    call_command("remeasure_tone", "--all")
    captured = capsys.readouterr()
    assert "1 failed" in captured.out and f"#{image.pk}" in captured.err
    with pytest.raises(CommandError, match="positive"):
        call_command("remeasure_tone", "--limit", "0")


@pytest.mark.parametrize(
    "name, pixels, code",
    [
        ("tiny", np.full((12, 12, 3), (200, 150, 120), np.uint8), "too_small"),
        ("black", np.full((300, 400, 3), 2, np.uint8), "too_dark"),
        ("blown", np.full((300, 400, 3), 255, np.uint8), "overexposed"),
    ],
)
def test_measure_tone_command_reports_bad_photographs_as_not_gradable(
    tmp_path, capsys, name, pixels, code
):
    path = tmp_path / f"{name}.png"
    Image.fromarray(pixels).save(path)
    call_command("measure_tone", "--image", str(path), "--modality", "clinical")
    result = json.loads(capsys.readouterr().out)
    assert result["gradable"] is False and result["not_gradable"][0]["code"] == code


def test_a_ruler_on_paper_is_not_gradable_on_the_command_line(tmp_path, capsys):
    paper = np.full((300, 400, 3), 236, np.uint8)
    paper[120:170] = (245, 235, 120)
    paper[120:150, ::15] = (15, 15, 15)
    path = tmp_path / "ruler.png"
    Image.fromarray(paper).save(path)
    call_command("measure_tone", "--image", str(path), "--modality", "clinical")
    result = json.loads(capsys.readouterr().out)
    assert result["gradable"] is False and result["not_gradable"][0]["code"] == "too_little_skin"


def test_the_image_page_says_why_a_photograph_is_not_gradable(client, clinician):
    from repository.services.ingest import image_ingest
    from tests.conftest import metadata

    image = image_ingest(
        contributor=clinician, fileobj=io.BytesIO(_greyscale_jpeg()), metadata=metadata()
    )
    image_analyse(image_id=image.pk)
    client.force_login(clinician)
    page = client.get(f"/images/{image.pk}/").content.decode()
    assert "Not gradable:" in page and "greyscale" in page
    api = client.get(f"/api/v1/images/{image.pk}/").json()
    assert api["tone"]["measurement"]["not_gradable"][0]["code"] == "greyscale"
