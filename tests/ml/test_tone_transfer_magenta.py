"""The optional TF-Hub (Magenta) backend, driven by a tiny local SavedModel with its signature."""

import numpy as np
import pytest

# TensorFlow imported before torch(vision) segfaults; importing them first keeps the order safe
# whichever test module the collector loads next.
import torch  # noqa: F401, I001
import torchvision  # noqa: F401
from scipy import ndimage

from synthesis.ml.tone_transfer import StyleTemplate, ToneTarget, transfer

try:
    from .tone_fixtures import TONE_CASES, demo_case, skin_patch
except ImportError:  # tests/ml is not a package
    from tone_fixtures import TONE_CASES, demo_case, skin_patch

tf = pytest.importorskip("tensorflow")
pytest.importorskip("tensorflow_hub")


class _BlendStylizer(tf.Module):
    """Same call signature as arbitrary-image-stylization-v1-256: (content, style) -> [image]."""

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, None, 3], tf.float32),
            tf.TensorSpec([None, None, None, 3], tf.float32),
        ]
    )
    def __call__(self, content, style):
        mean_style = tf.reduce_mean(style, axis=[1, 2], keepdims=True)
        return [0.5 * content + 0.5 * mean_style]


@pytest.fixture(scope="module")
def stylizer_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("stylizer")
    tf.saved_model.save(_BlendStylizer(), str(path))
    return str(path)


def test_magenta_backend_runs_a_local_savedmodel_and_keeps_the_lesion(stylizer_dir):
    rgb, mask = demo_case(TONE_CASES[0])
    dark = transfer(rgb, mask, ToneTarget.for_fitzpatrick(6)).image
    template = StyleTemplate.from_patch(skin_patch(dark, mask))
    result = transfer(
        rgb,
        mask,
        ToneTarget.for_fitzpatrick(6),
        backend="magenta",
        handle=stylizer_dir,
        style_template=template,
    )
    assert result.image.shape == rgb.shape and result.image.dtype == np.uint8
    assert result.params["handle"] == stylizer_dir
    assert result.code_version == "magenta-1"
    # The skin moved halfway to the template's mean colour; deep inside the lesion it is the
    # melanin backend's rendering, not the network's.
    melanin = transfer(rgb, mask, ToneTarget.for_fitzpatrick(6), backend="melanin").image
    core = ndimage.binary_erosion(mask, iterations=40)
    assert core.any()
    assert np.abs(result.image[core].astype(int) - melanin[core]).max() <= 2
    assert result.measurements["skin_ita_after"] < result.measurements["skin_ita_before"]


def test_magenta_backend_takes_its_style_from_a_templates_target(stylizer_dir):
    rgb, mask = demo_case(TONE_CASES[1])
    a = StyleTemplate.from_patch(skin_patch(rgb, mask))
    b = StyleTemplate.from_patch(
        skin_patch(transfer(rgb, mask, ToneTarget.for_fitzpatrick(5)).image, mask)
    )
    result = transfer(rgb, mask, ToneTarget.mix(a, b, 0.5), backend="magenta", handle=stylizer_dir)
    assert result.image.shape == rgb.shape


def test_magenta_backend_rejects_a_handle_that_does_not_load(tmp_path):
    rgb, mask = demo_case(TONE_CASES[0])
    template = StyleTemplate.from_patch(skin_patch(rgb, mask))
    bad = str(tmp_path / "no-such-model")
    with pytest.raises(ValueError, match="no-such-model"):
        transfer(
            rgb,
            mask,
            ToneTarget.for_fitzpatrick(5),
            backend="magenta",
            handle=bad,
            style_template=template,
        )
