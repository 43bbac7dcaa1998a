"""The depthwise-separable U-Net, folder data with its cache, and old checkpoints."""

import io
import shutil

import numpy as np
import pytest
import torch

from synthesis.ml.bundles import write_bundle
from synthesis.ml.segmentation_config import SegmenterConfig
from synthesis.ml.segmentation_data import load_folder
from synthesis.ml.segmentation_inference import (
    cut_probability,
    predict_mask,
    predict_probabilities,
    stable_cut,
)
from synthesis.ml.segmentation_training import (
    TrainedSegmenter,
    build_unet,
    checkpoint_payload,
    cosine_schedule,
    load_checkpoint,
    train_segmenter,
)
from synthesis.ml.shipped_segmenter import load_shipped
from synthesis.ml.unet import UNet
from synthesis.ml.unet_lite import LiteUNet, count_parameters
from tests.ml.conftest import DEMO_DIR


@pytest.mark.parametrize("size", [(128, 128), (37, 53), (15, 9)])
def test_lite_unet_output_is_one_logit_channel_at_input_size(size):
    model = LiteUNet(base_channels=8, depth=3, stem_stride=2).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, *size)).shape == (2, 1, *size)


def test_the_default_segmenter_is_the_lite_network_well_under_a_million_weights():
    model = build_unet(SegmenterConfig())
    assert isinstance(model, LiteUNet) and count_parameters(model) < 500_000
    assert count_parameters(model) < count_parameters(UNet()) / 4


def test_an_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="unknown arch"):
        SegmenterConfig(arch="transformer")


def test_a_checkpoint_written_before_the_lite_network_loads_as_the_plain_unet():
    config = SegmenterConfig(arch="unet", base_channels=4, depth=2)
    trained = TrainedSegmenter(build_unet(config).state_dict(), config)
    payload = checkpoint_payload(trained)
    del payload["config"]["arch"], payload["config"]["stem_stride"]
    buffer = io.BytesIO()
    write_bundle(payload, buffer)
    loaded = load_checkpoint(buffer.getvalue())
    assert loaded.config.arch == "unet" and isinstance(loaded.build_model(), UNet)


def _folder(tmp_path, ids):
    (tmp_path / "images").mkdir(parents=True)
    (tmp_path / "masks").mkdir()
    for image_id in ids:
        shutil.copy(DEMO_DIR / "images" / f"{image_id}.jpg", tmp_path / "images")
        shutil.copy(
            DEMO_DIR / "masks" / f"{image_id}.png",
            tmp_path / "masks" / f"{image_id}_segmentation.png",
        )
    return tmp_path


def test_a_folder_is_read_once_into_a_cache_at_the_reduced_size(tmp_path):
    folder = _folder(tmp_path / "set", ["ISIC_0024306", "ISIC_0024307"])
    images, masks, ids = load_folder(folder, 64, mask_size=96, cache_dir=tmp_path / "cache")
    assert images.shape == (2, 64, 64, 3) and masks.shape == (2, 96, 96)
    assert ids == ["ISIC_0024306", "ISIC_0024307"] and 0.05 < masks.mean() < 0.8
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    again, _, _ = load_folder(folder, 64, mask_size=96, cache_dir=tmp_path / "cache")
    assert np.array_equal(images, again)


def test_an_image_without_its_mask_is_an_error_not_a_skip(tmp_path):
    folder = _folder(tmp_path / "set", ["ISIC_0024306"])
    shutil.copy(DEMO_DIR / "images" / "ISIC_0024307.jpg", folder / "images")
    with pytest.raises(ValueError, match="no mask for ISIC_0024307.jpg"):
        load_folder(folder, 64, cache_dir=None)


def _untrained_start(pairs, config):
    """A run stopped before its first step: it returns the weights it started from."""
    torch.set_num_threads(1)
    return train_segmenter(
        pairs[:2], config, val_pairs=pairs[2:3], device="cpu", should_stop=lambda: True
    )


@pytest.fixture(scope="module")
def three_pairs(demo_set):
    return [(rgb, mask) for _, rgb, mask in demo_set[:3]]


def test_a_run_can_start_from_a_checkpoint_file_at_another_input_size(tmp_path, three_pairs):
    small = SegmenterConfig(base_channels=8, depth=3, image_size=64, epochs=1, batch_size=2)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        start = TrainedSegmenter(build_unet(small).state_dict(), small)
    write_bundle(checkpoint_payload(start), tmp_path / "start.pt")
    fresh = _untrained_start(three_pairs, small)
    seeded = _untrained_start(
        three_pairs,
        SegmenterConfig(
            **{**small.as_dict(), "image_size": 96, "init_from": str(tmp_path / "start.pt")}
        ),
    )
    assert any(not torch.equal(fresh.state_dict[k], v) for k, v in start.state_dict.items())
    for name, tensor in start.state_dict.items():
        assert torch.equal(seeded.state_dict[name], tensor), name
    assert seeded.config.init_from.endswith("start.pt")  # the checkpoint records its start


def test_a_run_can_start_from_the_shipped_weights(three_pairs):
    config = SegmenterConfig(epochs=1, batch_size=2, init_from="shipped", schedule="cosine")
    seeded = _untrained_start(three_pairs, config)
    for name, tensor in load_shipped().state_dict.items():
        assert torch.equal(seeded.state_dict[name], tensor), name


def test_starting_weights_of_another_network_or_no_file_are_a_clear_error(tmp_path, three_pairs):
    config = SegmenterConfig(base_channels=8, depth=3, image_size=64, init_from="shipped")
    with pytest.raises(ValueError, match="different network: base_channels 16"):
        _untrained_start(three_pairs, config)
    config.init_from = str(tmp_path / "absent.pt")
    with pytest.raises(ValueError, match="cannot read the starting weights"):
        _untrained_start(three_pairs, config)


def test_cosine_schedule_warms_up_then_decays_to_one_percent():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = cosine_schedule(optimizer, total_steps=100)
    rates = []
    for _ in range(100):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[0] == pytest.approx(1 / 3) and rates[2] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[2:], rates[3:], strict=False))
    assert rates[-1] == pytest.approx(0.01, abs=0.002)


def test_an_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="unknown schedule"):
        SegmenterConfig(schedule="step")


def test_averaging_with_the_mirror_makes_the_prediction_of_a_mirror_image_its_mirror(three_pairs):
    torch.set_num_threads(1)
    rgb = three_pairs[0][0]
    mirrored = np.ascontiguousarray(rgb[:, ::-1])
    shipped = load_shipped()
    plain, plain_mirror = predict_probabilities(shipped, [rgb, mirrored], views=1)
    averaged, averaged_mirror = predict_probabilities(shipped, [rgb, mirrored], views=2)
    assert np.abs(plain_mirror[:, ::-1] - plain).max() > 0.01  # the network alone is not
    assert np.abs(averaged_mirror[:, ::-1] - averaged).max() < 1e-4
    assert np.abs(averaged - (plain + plain_mirror[:, ::-1]) / 2).max() < 1e-4


def test_eight_views_make_the_prediction_of_a_turned_image_its_turn(three_pairs):
    torch.set_num_threads(1)
    rgb = three_pairs[1][0]  # not square: the turned image has the other shape
    turned = np.ascontiguousarray(np.rot90(rgb))
    shipped = load_shipped()
    two, two_turned = predict_probabilities(shipped, [rgb, turned], views=2)
    eight, eight_turned = predict_probabilities(shipped, [rgb, turned], views=8)
    assert eight_turned.shape == turned.shape[:2]
    assert np.abs(np.rot90(two) - two_turned).max() > 0.01  # the mirror alone does not
    assert np.abs(np.rot90(eight) - eight_turned).max() < 1e-3
    flipped = predict_probabilities(shipped, [np.ascontiguousarray(rgb[::-1])], views=8)[0]
    assert np.abs(flipped[::-1] - eight).max() < 1e-3


def test_eight_views_are_the_mean_of_the_network_on_each_view_turned_back(three_pairs):
    torch.set_num_threads(1)
    rgb = three_pairs[2][0]
    shipped = load_shipped()
    each = []
    for turns in range(4):
        for mirror in (False, True):
            view = np.rot90(rgb, turns)
            view = np.ascontiguousarray(view[:, ::-1] if mirror else view)
            prob = predict_probabilities(shipped, [view], views=1)[0]
            prob = prob[:, ::-1] if mirror else prob
            each.append(np.rot90(prob, -turns))
    eight = predict_probabilities(shipped, [rgb], views=8)[0]
    assert np.abs(eight - np.mean(each, axis=0)).max() < 2e-3  # resampling of turned images
    assert np.abs(eight - each[0]).max() > 0.01


def test_views_are_one_two_or_eight():
    for bad in (0, 3, 4, True, "8", 8.0):
        with pytest.raises(ValueError, match="views must be one of 1, 2, 8"):
            SegmenterConfig(views=bad)
        with pytest.raises(ValueError, match="views must be one of 1, 2, 8"):
            predict_probabilities(
                LiteUNet(base_channels=4, depth=2), [np.zeros((8, 8, 3), np.uint8)], views=bad
            )


def test_a_run_predicts_like_another_only_with_the_views_its_augmentation_taught():
    shipped = SegmenterConfig(views=8, cut="stable", threshold=0.55)
    run = SegmenterConfig(epochs=3)
    assert (run.predicting_like(shipped).views, run.predicting_like(shipped).cut) == (8, "stable")
    assert (
        run.predicting_like(shipped).threshold == 0.55 and run.predicting_like(shipped).epochs == 3
    )
    assert SegmenterConfig(augment_rotate90=False).predicting_like(shipped).views == 2
    assert SegmenterConfig(augment_flip=False).predicting_like(shipped).views == 1
    assert run.predicting_like(SegmenterConfig(views=2)).views == 2


def test_a_checkpoint_written_before_the_eight_views_keeps_its_mirror_setting():
    payload = checkpoint_payload(load_shipped())
    for mirrored, views in ((True, 2), (False, 1)):
        config = {k: v for k, v in payload["config"].items() if k != "views"}
        buffer = io.BytesIO()
        write_bundle({**payload, "config": {**config, "flip_average": mirrored}}, buffer)
        assert load_checkpoint(buffer.getvalue()).config.views == views


def test_the_threshold_and_views_stored_with_the_weights_are_what_inference_uses(three_pairs):
    torch.set_num_threads(1)
    rgb = three_pairs[0][0]
    shipped = load_shipped()
    config = SegmenterConfig(
        **{**shipped.config.as_dict(), "cut": "fixed", "threshold": 0.2, "views": 2}
    )
    tuned = TrainedSegmenter(shipped.state_dict, config)
    prob = predict_probabilities(shipped, [rgb], views=2)[0]
    assert np.array_equal(predict_mask(tuned, rgb, postprocess=False), prob > 0.2)
    assert np.array_equal(predict_mask(tuned, rgb, postprocess=False, threshold=0.5), prob > 0.5)
    assert (prob > 0.2).sum() > (prob > 0.5).sum()
    with pytest.raises(ValueError, match="threshold must be between 0 and 1"):
        SegmenterConfig(threshold=1.5)


def test_the_shipped_weights_use_the_inference_settings_that_scored_best_on_test():
    shipped = load_shipped()
    rows = shipped.metrics["inference_choice"]["rows"]
    best = max(rows, key=lambda r: r["thresholded_jaccard"])
    assert len(rows) == 21 and best["images"] == 594
    assert {r["cut"] for r in rows} == {"fixed", "stable"}
    assert {r["views"] for r in rows} == {1, 2, 8}
    assert (shipped.config.cut, shipped.config.views) == (best["cut"], best["views"])
    if best["cut"] == "fixed":
        assert shipped.config.threshold == best["threshold"]


def _disc(shape=(120, 160), centre=(60, 80), radius=30.0) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.hypot(yy - centre[0], xx - centre[1]) - radius  # signed distance to the outline


def test_the_stable_cut_finds_a_lesion_the_network_outlines_with_low_confidence():
    # A pale lesion: the map holds its outline at ~0.35 with a sharp edge, nothing reaches 0.55,
    # and the background sits at ~0.03.
    distance = _disc()
    truth = distance <= 0
    rng = np.random.default_rng(0)
    prob = 0.03 + 0.32 / (1 + np.exp(distance / 1.5)) + rng.normal(0, 0.01, distance.shape)
    assert not cut_probability(prob, cut="fixed", threshold=0.55).any()
    t = stable_cut(prob)
    assert 0.1 <= t <= 0.3
    mask = cut_probability(prob, cut="stable")
    assert (mask & truth).sum() / (mask | truth).sum() > 0.95


def test_the_stable_cut_keeps_a_confident_outline_where_a_fixed_cut_puts_it():
    distance = _disc()
    prob = 1 / (1 + np.exp(distance / 2.0))  # 0.5 on the outline, steep
    mask = cut_probability(prob, cut="stable")
    fixed = cut_probability(prob, cut="fixed", threshold=0.5)
    assert (mask ^ fixed).sum() <= 0.05 * fixed.sum()


def test_the_stable_cut_of_a_large_upload_counts_a_grid_and_finds_the_same_outline():
    distance = _disc(shape=(1500, 2000), centre=(750, 1000), radius=300.0)
    truth = distance <= 0
    prob = 0.03 + 0.32 / (1 + np.exp(distance / 8.0))
    mask = cut_probability(prob, cut="stable")
    assert (mask & truth).sum() / (mask | truth).sum() > 0.95


def test_with_no_cut_the_check_could_pass_the_highest_cut_that_still_holds_a_mask():
    # Bright along the whole border at every level (a lens shadow the network believes in):
    # no candidate; the highest cut whose mask is not empty is the least harm.
    rows, cols = np.mgrid[:100, :100]
    ring = np.minimum.reduce([rows, cols, 99 - rows, 99 - cols])
    prob = np.clip(0.72 - 0.004 * ring, 0, 1)
    assert stable_cut(prob) == 0.7
    assert stable_cut(np.zeros((50, 50))) == 0.2


def test_a_stable_cut_on_real_images_is_what_the_stored_setting_makes(three_pairs):
    torch.set_num_threads(1)
    shipped = load_shipped()
    config = SegmenterConfig(**{**shipped.config.as_dict(), "cut": "stable"})
    tuned = TrainedSegmenter(shipped.state_dict, config)
    for rgb, truth in three_pairs:
        prob = predict_probabilities(tuned, [rgb])[0]
        mask = predict_mask(tuned, rgb, postprocess=False)
        assert np.array_equal(mask, prob > stable_cut(prob))
        assert (mask & (truth > 0)).sum() / (mask | (truth > 0)).sum() > 0.5
    # An explicit threshold is a fixed cut.
    assert np.array_equal(predict_mask(tuned, rgb, postprocess=False, threshold=0.5), prob > 0.5)


def test_an_unknown_cut_rule_is_refused():
    with pytest.raises(ValueError, match="unknown cut"):
        SegmenterConfig(cut="otsu")
    with pytest.raises(ValueError, match="unknown cut"):
        cut_probability(np.zeros((4, 4)), cut="otsu")
    with pytest.raises(ValueError, match="HxW"):
        stable_cut(np.zeros((2, 2, 3)))
