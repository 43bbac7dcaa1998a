"""U-Net segmenter: shapes, training, checkpoints and inference on the shipped demo images."""

import io

import numpy as np
import pytest
import torch

from synthesis.ml.segmentation_inference import clean_mask, predict_mask, predict_masks
from synthesis.ml.segmentation_training import (
    SegmenterConfig,
    TrainedSegmenter,
    dice_bce_loss,
    load_checkpoint,
    save_checkpoint,
    train_segmenter,
)
from synthesis.ml.unet import UNet


@pytest.fixture(scope="module")
def demo_pairs(demo_set) -> list[tuple[np.ndarray, np.ndarray]]:
    """The first ten demo (image, mask) pairs: eight to train on, two to validate."""
    return [(rgb, mask) for _, rgb, mask in demo_set[:10]]


def _tiny_config(**overrides) -> SegmenterConfig:
    values = dict(image_size=64, base_channels=8, depth=3, epochs=6, batch_size=4, lr=1e-2)
    return SegmenterConfig(**{**values, **overrides})


@pytest.fixture(scope="module")
def trained(demo_pairs) -> TrainedSegmenter:
    torch.set_num_threads(1)
    return train_segmenter(demo_pairs[:8], _tiny_config(), val_pairs=demo_pairs[8:], device="cpu")


@pytest.mark.parametrize("size", [(64, 64), (37, 53), (15, 9)])
def test_unet_output_is_one_logit_channel_at_input_size(size):
    model = UNet(base_channels=4, depth=3, norm="group").eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, *size))
    assert out.shape == (2, 1, *size)


def test_training_lowers_the_loss(demo_pairs):
    torch.set_num_threads(1)
    seen = []
    no_augment = {f"augment_{kind}": False for kind in ("flip", "rotate90", "affine", "color")}
    config = _tiny_config(epochs=12, val_every=12, augment_skin_tone=False, **no_augment)
    train_segmenter(
        demo_pairs[:8], config, val_pairs=demo_pairs[8:], device="cpu", progress=seen.append
    )
    losses = [record["loss"] for record in seen]
    assert [record["epoch"] for record in seen] == list(range(1, 13))
    assert np.mean(losses[-2:]) < 0.8 * np.mean(losses[:2])


def test_trained_segmenter_reports_versioning_metrics(trained):
    metrics = trained.metrics
    assert metrics["train_size"] == 8 and metrics["val_size"] == 2
    assert metrics["epochs_run"] == 6 and metrics["device"] == "cpu"
    assert 0.0 <= metrics["val_dice"] <= 1.0 and 0.0 <= metrics["val_jaccard"] <= 1.0
    assert len(metrics["data_fingerprint"]) == 64
    assert trained.config.as_dict()["image_size"] == 64


def test_same_seed_gives_same_weights(demo_pairs, trained):
    torch.set_num_threads(1)
    again = train_segmenter(demo_pairs[:8], _tiny_config(), val_pairs=demo_pairs[8:], device="cpu")
    for name, tensor in trained.state_dict.items():
        assert torch.equal(tensor, again.state_dict[name]), name


def test_checkpoint_round_trip_gives_identical_predictions(demo_pairs, trained):
    buffer = io.BytesIO()
    save_checkpoint(trained, buffer)
    buffer.seek(0)
    loaded = load_checkpoint(buffer)
    rgb = demo_pairs[9][0]
    before = predict_mask(trained, rgb, postprocess=False)
    after = predict_mask(loaded, rgb, postprocess=False)
    assert loaded.config == trained.config and loaded.metrics == trained.metrics
    assert np.array_equal(before, after)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda data: data[: len(data) // 2],
        lambda data: b"\x00" * 64 + data[64:],
        lambda data: b"not a checkpoint at all",
    ],
)
def test_corrupted_checkpoint_raises_value_error(trained, corrupt):
    buffer = io.BytesIO()
    save_checkpoint(trained, buffer)
    with pytest.raises(ValueError):
        load_checkpoint(io.BytesIO(corrupt(buffer.getvalue())))


def test_foreign_torch_file_raises_value_error():
    buffer = io.BytesIO()
    torch.save({"state_dict": {"weight": torch.zeros(3)}}, buffer)
    with pytest.raises(ValueError, match="not a PixGen"):
        load_checkpoint(io.BytesIO(buffer.getvalue()))


def test_checkpoint_with_mismatched_weights_raises_value_error(trained):
    broken = TrainedSegmenter(
        state_dict={k: v for k, v in trained.state_dict.items() if "head" not in k},
        config=trained.config,
        metrics=trained.metrics,
    )
    buffer = io.BytesIO()
    save_checkpoint(broken, buffer)
    with pytest.raises(ValueError, match="inconsistent"):
        load_checkpoint(io.BytesIO(buffer.getvalue()))


def test_predicted_masks_have_each_images_size(demo_pairs, small_pair, trained):
    small = small_pair[0]
    images = [demo_pairs[0][0], small, demo_pairs[1][0][:101, :77]]
    masks = predict_masks(trained, images)
    assert [m.shape for m in masks] == [rgb.shape[:2] for rgb in images]
    assert all(m.dtype == bool for m in masks)
    assert predict_mask(trained.build_model(), small, image_size=64).shape == (150, 200)


def test_dice_bce_loss_is_lower_for_the_right_answer():
    target = torch.zeros(1, 1, 8, 8)
    target[..., 2:6, 2:6] = 1
    right = dice_bce_loss(target * 20 - 10, target)
    wrong = dice_bce_loss(10 - target * 20, target)
    assert right < 0.05 < 1.5 < wrong


def test_clean_mask_fills_holes_and_drops_specks():
    mask = np.zeros((40, 40), dtype=bool)
    mask[5:30, 5:30] = True
    mask[15:18, 15:18] = False  # a hole
    mask[35, 35] = True  # a speck
    cleaned = clean_mask(mask)
    assert cleaned[16, 16] and not cleaned[35, 35]
    assert cleaned.sum() == 25 * 25


def test_should_stop_ends_training_early_with_usable_weights(demo_pairs):
    torch.set_num_threads(1)
    calls = []
    trained = train_segmenter(
        demo_pairs[:8],
        _tiny_config(epochs=50),
        val_pairs=demo_pairs[8:],
        device="cpu",
        should_stop=lambda: calls.append(1) or len(calls) > 3,
    )
    assert trained.metrics["stopped_early"] and trained.metrics["steps"] == 3
    assert trained.metrics["epochs_run"] == 1  # two full steps per epoch, then one of the next
    assert predict_mask(trained, demo_pairs[0][0]).shape == demo_pairs[0][1].shape
