"""External evaluation sets (CSV + image folder): validation errors and an audit of a model."""

import csv
import json
import shutil
from pathlib import Path

import pytest
import torch

from synthesis.ml.audit import audit_classifier, load_eval_csv
from synthesis.ml.classifier import ClassifierConfig, records_from_metadata, train_classifier

DEMO = Path(__file__).resolve().parents[2] / "repository" / "demo_data"
FULL_HEADER = ["image", "fitzpatrick", "diagnosis", "malignant"]


def _demo_rows() -> list[dict]:
    with open(DEMO / "metadata.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_valid_csv_gives_records_with_types_and_groups(tmp_path):
    demo = _demo_rows()
    rows = [
        [f"{demo[0]['image_id']}.jpg", "1", "AKIEC", "1"],
        [f"{demo[5]['image_id']}.jpg", "IV", "bcc", ""],
        [f"{demo[10]['image_id']}.jpg", "56", "bkl", "0"],
        [f"{demo[25]['image_id']}.jpg", "vi", "nv", ""],
    ]
    path = _write_csv(
        tmp_path / "eval.csv", ["image", "fitzpatrick", "diagnosis", "malignant"], rows
    )
    records = load_eval_csv(path, DEMO / "images", "dx7")
    assert [r.dx for r in records] == ["akiec", "bcc", "bkl", "nv"]
    assert [(r.fitzpatrick, r.fitzpatrick_group) for r in records] == [
        (1, "I-II"),
        (4, "III-IV"),
        (None, "V-VI"),
        (6, "V-VI"),
    ]
    assert [r.label("malignancy") for r in records] == [1, 1, 0, 0]


def test_malignancy_set_may_give_only_the_malignant_flag(tmp_path):
    demo = _demo_rows()
    rows = [[f"{d['image_id']}.jpg", "5", str(int(d["dx"] in ("mel", "bcc")))] for d in demo[:4]]
    path = _write_csv(tmp_path / "eval.csv", ["Image", "Fitzpatrick", "Malignant"], rows)
    assert len(load_eval_csv(path, DEMO / "images", "malignancy")) == 4
    with pytest.raises(ValueError, match="lacks column\\(s\\) diagnosis for the dx7 task"):
        load_eval_csv(path, DEMO / "images", "dx7")


def test_missing_columns_are_named(tmp_path):
    path = _write_csv(tmp_path / "eval.csv", ["image", "diagnosis"], [["x.jpg", "mel"]])
    with pytest.raises(ValueError, match="lacks column\\(s\\) fitzpatrick"):
        load_eval_csv(path, DEMO / "images", "dx7")
    path = _write_csv(tmp_path / "eval2.csv", ["image", "fitzpatrick"], [["x.jpg", "3"]])
    with pytest.raises(ValueError, match="diagnosis or malignant"):
        load_eval_csv(path, DEMO / "images", "malignancy")


def test_unknown_labels_are_listed_by_row(tmp_path):
    demo = _demo_rows()
    rows = [
        [f"{demo[0]['image_id']}.jpg", "2", "akiec", "1"],
        [f"{demo[1]['image_id']}.jpg", "2", "melanoma", ""],
        [f"{demo[2]['image_id']}.jpg", "7", "akiec", ""],
        [f"{demo[3]['image_id']}.jpg", "3", "nv", "1"],
        [f"{demo[4]['image_id']}.jpg", "3", "nv", "yes"],
        ["../metadata.csv", "3", "nv", ""],
    ]
    path = _write_csv(
        tmp_path / "eval.csv", ["image", "fitzpatrick", "diagnosis", "malignant"], rows
    )
    with pytest.raises(ValueError) as info:
        load_eval_csv(path, DEMO / "images", "dx7")
    message = str(info.value)
    assert "5 problem(s)" in message and "row 2:" not in message
    assert "row 3: unknown diagnosis 'melanoma'" in message
    assert "row 4: unknown Fitzpatrick value '7'" in message
    assert "row 5: diagnosis nv contradicts malignant=1" in message
    assert "row 6: malignant must be 0 or 1, got 'yes'" in message
    assert "row 7: image '../metadata.csv' must be a plain file name" in message


def test_images_that_do_not_decode_are_named(tmp_path):
    demo = _demo_rows()
    folder = tmp_path / "images"
    folder.mkdir()
    good = f"{demo[0]['image_id']}.jpg"
    shutil.copy(DEMO / "images" / good, folder / good)
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes((DEMO / "images" / good).read_bytes()[:3000])
    rows = [
        [good, "2", "akiec"],
        ["empty.jpg", "2", "nv"],
        ["truncated.jpg", "2", "nv"],
        ["absent.jpg", "2", "nv"],
    ]
    path = _write_csv(tmp_path / "eval.csv", ["image", "fitzpatrick", "diagnosis"], rows)
    with pytest.raises(ValueError) as info:
        load_eval_csv(path, folder, "dx7")
    message = str(info.value)
    assert "row 3: image empty.jpg does not decode" in message
    assert "row 4: image truncated.jpg does not decode" in message
    assert "row 5: image absent.jpg not found" in message
    assert good not in message


def test_audit_of_a_trained_model_on_an_external_set_reports_small_groups(tmp_path):
    torch.set_num_threads(1)
    records = records_from_metadata(DEMO / "metadata.csv", DEMO / "images", default_fitzpatrick=2)
    config = ClassifierConfig(arch="mobilenet_v3_small", image_size=32, epochs=1, batch_size=16)
    trained = train_classifier(records, config, task="malignancy")
    # 35 demo images as an external set: 15 in I-II, 15 in III-IV, 5 (too few) in V-VI.
    types = ["1", "II", "3", "IV", "12", "34", "V"]
    rows = [[f"{d['image_id']}.jpg", types[i % 7], d["dx"]] for i, d in enumerate(_demo_rows())]
    path = _write_csv(tmp_path / "eval.csv", ["image", "fitzpatrick", "diagnosis"], rows)
    report = audit_classifier(
        trained, load_eval_csv(path, DEMO / "images", "malignancy"), n_boot=100
    )
    json.dumps(report)
    assert report["n"] == 35 and report["n_group_only"] == 10
    assert [report["groups"][g]["n"] for g in ("I-II", "III-IV", "V-VI")] == [15, 15, 5]
    assert report["groups"]["V-VI"]["insufficient"]
    assert "5 images" in report["groups"]["V-VI"]["reason"]
    assert "accuracy" in report["groups"]["I-II"]["metrics"]
    assert report["gap"]["accuracy"]["left_out"] == ["V-VI"]
