"""The augmentation experiment on real demo images: input checks, the fixed split, synthetic
images of held-out lesions, cancelling and resuming, and the report from stored runs."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from synthesis.ml.classifier import LabelledImage, records_from_metadata
from synthesis.ml.experiment.plan import (
    ExperimentInputError,
    ExperimentPlan,
    parse_ratios,
    prepare,
    training_records,
)
from synthesis.ml.experiment.runner import (
    DirectoryStore,
    build_reports,
    eval_description,
    run_experiment,
)
from synthesis.ml.tone_transfer import ToneTarget, transfer

DEMO = Path(__file__).resolve().parents[2] / "repository" / "demo_data"
TINY = {"arch": "mobilenet_v3_small", "image_size": 32, "epochs": 1, "batch_size": 8}


@pytest.fixture(scope="module")
def real():
    return records_from_metadata(DEMO / "metadata.csv", DEMO / "images")


def _tone_transferred(record, skin_type: int) -> LabelledImage:
    """A real melanin-model tone transfer of a demo image (small, to keep the test quick)."""
    rgb = Image.open(record.image).convert("RGB").resize((96, 72))
    mask = Image.open(DEMO / "masks" / f"{record.record_id}.png").convert("L").resize((96, 72))
    result = transfer(
        np.asarray(rgb), np.asarray(mask) > 127, ToneTarget.for_fitzpatrick(skin_type)
    )
    return LabelledImage(
        f"syn-{record.record_id}",
        result.image,
        dx=record.dx,
        lesion_id=record.lesion_id,
        fitzpatrick=skin_type,
        synthetic=True,
    )


@pytest.fixture(scope="module")
def with_synthetic(real):
    torch.set_num_threads(1)
    return real + [_tone_transferred(r, 5 + i % 2) for i, r in enumerate(real[::3])]


def plan(**overrides):
    values = {
        "task": "malignancy",
        "ratios": (0, 0.25),
        "seeds": (0, 1),
        "test_fraction": 0.4,
        "config": TINY,
    }
    return ExperimentPlan(**{**values, **overrides})


def test_ratios_parse_sort_and_refuse_nonsense():
    assert parse_ratios("3, 0,1,1") == (0.0, 1.0, 3.0)
    with pytest.raises(ValueError, match="'x' is not a number"):
        parse_ratios("0,x")
    with pytest.raises(ValueError, match="outside 0..100"):
        parse_ratios("-1")


def test_a_ratio_without_enough_synthetic_images_says_how_many_exist(with_synthetic):
    with pytest.raises(ExperimentInputError) as err:
        prepare(with_synthetic, plan(ratios=(0, 1, 3)))
    text = str(err.value)
    assert "ratio 1 needs" in text and "ratio 3 needs" in text
    prepared = prepare(with_synthetic, plan())
    eligible = len(prepared.eligible_synthetic)
    assert f"; {eligible} exist" in text
    assert prepared.needed == {"0": 0, "0.25": round(0.25 * prepared.n_train_real)}


def test_a_task_the_images_have_no_labels_for_is_refused(real):
    unlabelled = [LabelledImage(r.record_id, r.image, fitzpatrick=2) for r in real]
    with pytest.raises(ExperimentInputError, match="0 real images have a label for the dx7"):
        prepare(unlabelled, plan(task="dx7"))


def test_an_external_group_without_positives_is_refused(real, with_synthetic):
    dark_benign = [
        LabelledImage(f"dark-{r.record_id}", r.image, dx=r.dx, fitzpatrick=6)
        for r in real
        if r.dx in ("nv", "df", "bkl")
    ]
    light = [LabelledImage(f"light-{r.record_id}", r.image, dx=r.dx, fitzpatrick=2) for r in real]
    with pytest.raises(ExperimentInputError, match="group V-VI has 0 malignant and 15 benign"):
        prepare(with_synthetic, plan(), external=light + dark_benign)
    assert prepare(with_synthetic, plan(), external=light).external == light


def test_synthetic_images_of_held_out_lesions_never_enter_training(with_synthetic):
    prepared = prepare(with_synthetic, plan())
    held_out_lesions = {r.lesion_id for r in prepared.held_out}
    assert prepared.split.excluded  # some synthetic images are of held-out lesions
    for seed in (0, 1):
        chosen = [r for r in training_records(prepared, 0.25, seed) if r.synthetic]
        assert len(chosen) == prepared.needed["0.25"]
        assert not {r.lesion_id for r in chosen} & held_out_lesions
    assert [r for r in training_records(prepared, 0, 0) if r.synthetic] == []


def test_cancelled_experiment_resumes_without_training_a_run_twice(with_synthetic, tmp_path):
    prepared = prepare(with_synthetic, plan())
    store = DirectoryStore(tmp_path)
    # A cancel arrives once the first run is stored (checked before runs and training steps).
    first = run_experiment(
        prepared, store, should_stop=lambda: bool(store.completed()), device="cpu"
    )
    assert first.cancelled and first.trained == ["r0-s0"]
    assert store.completed() == {"r0-s0"}
    before = (tmp_path / "runs" / "r0-s0.json").read_bytes()

    seen = []
    second = run_experiment(prepared, store, device="cpu", progress=seen.append)
    assert not second.cancelled and second.skipped == ["r0-s0"]
    assert second.trained == ["r0-s1", "r0.25-s0", "r0.25-s1"]
    assert (tmp_path / "runs" / "r0-s0.json").read_bytes() == before
    assert {p["run"] for p in seen} == {2, 3, 4} and seen[-1]["runs"] == 4

    results = store.results()
    assert results["r0.25-s1"]["n_train_synthetic"] == prepared.needed["0.25"]
    assert results["r0-s1"]["n_train_synthetic"] == 0
    assert len(results["r0-s0"]["held_out"]) == len(prepared.held_out)
    reports = build_reports(
        prepared.plan,
        results,
        {"held_out": eval_description(prepared.held_out, "malignancy")},
        n_boot=50,
    )
    report = reports["held_out"]
    assert report["ratios"] == [0.0, 0.25] and report["seeds"] == [0, 1]
    # Demo images are types I-II with few malignant per group: counts, never numbers.
    for est in report["metrics"]["0.25"]["I-II"].values():
        assert est["too_few"] and "point" not in est
    assert not report["headline"]["available"]


def test_a_stop_during_training_drops_the_run(with_synthetic, tmp_path):
    prepared = prepare(with_synthetic, plan(seeds=(0,)))
    calls = iter([False, False, True])
    outcome = run_experiment(
        prepared, DirectoryStore(tmp_path), should_stop=lambda: next(calls, True), device="cpu"
    )
    assert outcome.cancelled and outcome.trained == []
    assert DirectoryStore(tmp_path).completed() == set()


def test_self_supervised_start_learns_without_labels_and_is_reused_on_resume(real, tmp_path):
    from synthesis.ml.classifier import build_model
    from synthesis.ml.classifier.data import load_images
    from synthesis.ml.experiment.pretrain import pretrain_simclr
    from synthesis.ml.experiment.runner import starting_point

    images = load_images(real[:16], 32)
    state, record = pretrain_simclr(images, arch="mobilenet_v3_small", epochs=4, batch_size=8)
    assert record["kind"] == "self_supervised" and record["images"] == 16
    assert record["loss_per_epoch"][-1] < record["chance_loss"]  # views find their partners
    torch.save(state, tmp_path / "ssl.pt")
    build_model("mobilenet_v3_small", 2, checkpoint_path=tmp_path / "ssl.pt")  # head replaced

    prepared = prepare(real, plan(start="self_supervised", pretrain_epochs=1, ratios=(0,)))
    store = DirectoryStore(tmp_path / "exp")
    path, first = starting_point(prepared, store, device="cpu")
    assert first["method"] == "simclr" and first["images"] == len(prepared.split.train)
    again_path, again = starting_point(prepared, store, device="cpu")
    assert (again_path, again) == (path, first)
    assert starting_point(prepared, DirectoryStore(tmp_path / "x"), should_stop=lambda: True) == (
        None,
        None,
    )


def test_a_checkpoint_that_does_not_fit_is_refused_before_training(real, tmp_path):
    torch.save({"conv.weight": torch.zeros(3)}, tmp_path / "bad.pt")
    with pytest.raises(ExperimentInputError, match="does not fit this architecture"):
        prepare(real, plan(start="checkpoint", checkpoint_path=str(tmp_path / "bad.pt")))
