"""The depthwise-separable U-Net, folder data with its cache, and old checkpoints."""

import io
import shutil

import numpy as np
import pytest
import torch

from synthesis.ml.bundles import write_bundle
from synthesis.ml.segmentation_config import SegmenterConfig
from synthesis.ml.segmentation_data import load_folder
from synthesis.ml.segmentation_training import (
    TrainedSegmenter,
    build_unet,
    checkpoint_payload,
    load_checkpoint,
)
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
