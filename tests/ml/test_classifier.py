"""Classifiers: model building, local checkpoints, the lesion-grouped split, training, bundles."""

import io
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from synthesis.ml.classifier import (
    ClassifierConfig,
    LabelledImage,
    build_model,
    load_classifier,
    predict_proba,
    records_from_metadata,
    save_classifier,
    split_records,
    train_classifier,
)
from synthesis.ml.classifier.inference import held_out_records
from synthesis.ml.classifier.tasks import DX7_CLASSES, label_index

DEMO = Path(__file__).resolve().parents[2] / "repository" / "demo_data"
TINY = ClassifierConfig(arch="resnet18", image_size=48, epochs=2, batch_size=14, seed=3)


@pytest.fixture(scope="module")
def demo_records() -> list[LabelledImage]:
    records = records_from_metadata(DEMO / "metadata.csv", DEMO / "images", default_fitzpatrick=2)
    assert len(records) == 35
    return records


@pytest.fixture(scope="module")
def trained_dx7(demo_records):
    torch.set_num_threads(1)
    return train_classifier(demo_records, TINY, task="dx7", device="cpu")


def _synthetic_from(records, count: int) -> list[LabelledImage]:
    """Flipped copies standing in for tone-transferred images; they keep their source lesion."""
    out = []
    for r in records[:count]:
        rgb = np.asarray(Image.open(r.image).convert("RGB"))[:, ::-1]
        out.append(
            LabelledImage(
                f"syn-{r.record_id}",
                rgb,
                dx=r.dx,
                lesion_id=r.lesion_id,
                fitzpatrick=5,
                synthetic=True,
            )
        )
    return out


def test_build_model_gives_one_output_per_class():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    for arch, classes in (("resnet18", 7), ("mobilenet_v3_small", 2)):
        with torch.no_grad():
            assert build_model(arch, classes).eval()(x).shape == (2, classes)


def test_unknown_architecture_is_a_value_error():
    with pytest.raises(ValueError, match="unknown architecture 'resnet9000'"):
        build_model("resnet9000", 7)


def test_local_checkpoint_loads_backbone_and_replaces_the_class_layer(tmp_path):
    torch.manual_seed(1)
    source = build_model("resnet18", 1000)
    torch.save(source.state_dict(), tmp_path / "imagenet_like.pt")
    torch.save({"state_dict": source.state_dict()}, tmp_path / "wrapped.pt")
    for name in ("imagenet_like.pt", "wrapped.pt"):
        model = build_model("resnet18", 7, checkpoint_path=tmp_path / name)
        assert torch.equal(model.conv1.weight, source.conv1.weight)
        assert torch.equal(model.layer4[1].bn2.running_var, source.layer4[1].bn2.running_var)
        assert model.fc.weight.shape == (7, 512)


def test_checkpoint_that_does_not_fit_is_a_value_error(tmp_path):
    torch.save(build_model("mobilenet_v3_small", 7).state_dict(), tmp_path / "other.pt")
    with pytest.raises(ValueError, match="does not fit"):
        build_model("resnet18", 7, checkpoint_path=tmp_path / "other.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        build_model("resnet18", 7, checkpoint_path=tmp_path / "junk.pt")
    with pytest.raises(ValueError, match="not found"):
        build_model("resnet18", 7, checkpoint_path=tmp_path / "absent.pt")


def test_labels_of_each_task():
    assert [label_index("dx7", dx=d) for d in ("AKIEC", "vasc")] == [0, 6]
    assert [label_index("malignancy", dx=d) for d in ("mel", "bcc", "akiec", "nv")] == [1, 1, 1, 0]
    assert label_index("malignancy", malignant=1) == 1
    with pytest.raises(ValueError, match="unknown diagnosis"):
        label_index("dx7", dx="melanoma?")


def test_split_keeps_lesions_together_and_is_stratified(demo_records):
    split = split_records(demo_records, seed=0)
    side = {i: "train" for i in split.train} | {i: "test" for i in split.test}
    lesions = defaultdict(set)
    for r in demo_records:
        lesions[r.lesion_id].add(side[r.record_id])
    assert any(len([r for r in demo_records if r.lesion_id == k]) > 1 for k in lesions)
    assert all(len(sides) == 1 for sides in lesions.values())
    test_dx = sorted(r.dx for r in demo_records if r.record_id in split.test)
    assert test_dx == sorted(DX7_CLASSES)  # 5 lesions per class, 20% -> one each
    assert split == split_records(list(reversed(demo_records)), seed=0)
    assert split.test != split_records(demo_records, seed=1).test


def test_synthetic_images_only_add_to_training(demo_records):
    real_only = split_records(demo_records, seed=0)
    synthetic = _synthetic_from(demo_records, 35)
    mixed = split_records(demo_records + synthetic, seed=0)
    assert mixed.test == real_only.test
    assert set(mixed.train) == set(real_only.train) | {
        s.record_id for s in synthetic if s.record_id.removeprefix("syn-") in real_only.train
    }
    # Synthetic versions of held-out lesions would leak the test set: they are excluded.
    assert {e.removeprefix("syn-") for e in mixed.excluded} == set(real_only.test)


def test_training_on_demo_images_records_split_config_and_metrics(demo_records, trained_dx7):
    trained = trained_dx7
    assert trained.split["test"] == list(split_records(demo_records, seed=3).test)
    assert trained.config == TINY.as_dict()
    assert trained.metrics["steps"] == 4 and not trained.metrics["stopped_early"]
    assert all(np.isfinite(h["loss"]) for h in trained.metrics["history"])
    assert trained.metrics["test_n"] == 7
    assert (
        trained.data_snapshot["n_train"] == 28 and len(trained.data_snapshot["fingerprint"]) == 64
    )
    assert trained.version.startswith("dx7-resnet18-")
    proba = predict_proba(trained, held_out_records(trained, demo_records))
    assert proba.shape == (7, 7) and np.allclose(proba.sum(1), 1.0, atol=1e-5)


def test_same_seed_gives_the_same_model_and_synthetic_keeps_the_test_split(demo_records):
    torch.set_num_threads(1)
    config = ClassifierConfig(arch="mobilenet_v3_small", image_size=32, epochs=1, batch_size=16)
    events = []
    a = train_classifier(demo_records, config, task="malignancy", progress=events.append)
    b = train_classifier(demo_records, config, task="malignancy")
    assert all(torch.equal(a.state_dict[k], b.state_dict[k]) for k in a.state_dict)
    assert events and events[-1]["epoch"] == 1 and "loss" in events[-1]
    mixed = train_classifier(
        demo_records + _synthetic_from(demo_records, 6), config, task="malignancy"
    )
    assert mixed.split["test"] == a.split["test"]
    assert (
        mixed.data_snapshot["n_train_synthetic"] + mixed.data_snapshot["n_excluded_synthetic"] == 6
    )
    assert mixed.data_snapshot["fingerprint"] != a.data_snapshot["fingerprint"]


def test_should_stop_ends_training_early(demo_records):
    config = ClassifierConfig(image_size=32, epochs=3, batch_size=14)
    calls = iter([False, True])
    trained = train_classifier(demo_records, config, task="dx7", should_stop=lambda: next(calls))
    assert trained.metrics["stopped_early"] and trained.metrics["steps"] == 1


def test_bundle_round_trip_gives_identical_predictions(demo_records, trained_dx7, tmp_path):
    buf = io.BytesIO()
    save_classifier(trained_dx7, buf)
    loaded = load_classifier(buf.getvalue())
    save_classifier(trained_dx7, tmp_path / "model.pt")
    from_path = load_classifier(tmp_path / "model.pt")
    images = [r.image for r in demo_records[:5]]
    expected = predict_proba(trained_dx7, images)
    assert np.array_equal(predict_proba(loaded, images), expected)
    assert np.array_equal(predict_proba(from_path, images), expected)
    assert loaded.split == trained_dx7.split and loaded.version == trained_dx7.version
    assert loaded.classes == DX7_CLASSES


def test_corrupt_or_foreign_bundle_is_a_value_error(trained_dx7, tmp_path):
    buf = io.BytesIO()
    save_classifier(trained_dx7, buf)
    with pytest.raises(ValueError, match="cannot read"):
        load_classifier(buf.getvalue()[: len(buf.getvalue()) // 2])
    torch.save(build_model("resnet18", 7).state_dict(), tmp_path / "plain.pt")
    with pytest.raises(ValueError, match="not a PixGen classifier"):
        load_classifier(tmp_path / "plain.pt")
