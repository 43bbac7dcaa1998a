"""Optional backend: Magenta arbitrary image stylization (TF-Hub), composited onto the skin only.

The stylised image replaces the healthy skin; the lesion keeps the melanin backend's output (the
original lesion with the same melanin increment), blended across a feathered border, so the
network never paints a texture over the lesion. Needs requirements-magenta.txt installed.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PIL import Image

from synthesis.ml.color import to_float_rgb, to_uint8
from synthesis.ml.tone_backends.base import StyleTemplate, ToneBackend, ToneTarget
from synthesis.ml.tone_backends.fitting import feather
from synthesis.ml.tone_backends.melanin import MelaninBackend

CODE_VERSION = "magenta-1"
# No default handle: nothing may be downloaded at run time, so the operator names a local
# SavedModel directory (or, knowingly, a TF-Hub URL).
DEFAULT_HANDLE = None
STYLE_SIZE = 256

DEFAULTS: dict[str, Any] = {
    "handle": DEFAULT_HANDLE,  # TF-Hub URL or a local SavedModel directory
    "style_template": None,  # StyleTemplate for Fitzpatrick/ITA targets
    "feather_px": None,  # None: 2.5 % of the image diagonal
}

_models: dict[str, Any] = {}
_lock = threading.Lock()


def load_model(handle: str):
    """Load (once per handle) the stylization model; imports TensorFlow only here."""
    if not handle:
        raise ValueError(
            "the 'magenta' backend needs a model handle: a local SavedModel directory "
            "(arbitrary-image-stylization-v1-256) or a TF-Hub URL"
        )
    try:
        # TensorFlow imported before torch(vision) segfaults in this stack; the other order works.
        import tensorflow as tf  # noqa: F401
        import tensorflow_hub as hub
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(
            "the 'magenta' backend needs TensorFlow: pip install -r requirements-magenta.txt"
        ) from exc
    with _lock:
        if handle not in _models:
            try:
                _models[handle] = hub.load(handle)
            except Exception as exc:  # hub raises OSError, ValueError, tf errors...
                raise ValueError(f"cannot load stylization model from {handle!r}: {exc}") from exc
        return _models[handle]


def _style_image(target: ToneTarget, template: StyleTemplate | None) -> np.ndarray:
    """float32 1x256x256x3: the alpha-blend of the two templates, or the given template."""

    def resized(t: StyleTemplate) -> np.ndarray:
        img = Image.fromarray(t.patch).resize((STYLE_SIZE, STYLE_SIZE), Image.BILINEAR)
        return to_float_rgb(np.asarray(img))

    if target.kind == "templates":
        style = (1 - target.alpha) * resized(target.template_a)
        style += target.alpha * resized(target.template_b)
    elif template is not None:
        style = resized(template)
    else:
        raise ValueError(
            "the 'magenta' backend needs a style image: use a templates target, or pass "
            "style_template=StyleTemplate.from_patch(...) for a Fitzpatrick/ITA target"
        )
    return style[None].astype(np.float32)


def _stylise(model, content: np.ndarray, style: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    outputs = model(tf.constant(content), tf.constant(style))
    if isinstance(outputs, dict):
        outputs = next(iter(outputs.values()))
    elif isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    image = np.asarray(outputs, dtype=np.float32)
    return image[0] if image.ndim == 4 else image


class MagentaBackend(ToneBackend):
    name = "magenta"
    code_version = CODE_VERSION

    def _render(self, rgb, mask, target: ToneTarget, *, seed: int, **params):
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise ValueError(
                f"unknown magenta parameters {sorted(unknown)}; known: {list(DEFAULTS)}"
            )
        p = {**DEFAULTS, **params}
        template = p["style_template"]
        if template is not None and not isinstance(template, StyleTemplate):
            raise ValueError("style_template must be a StyleTemplate")
        style = _style_image(target, template)
        model = load_model(str(p["handle"]))
        stylised = _stylise(model, to_float_rgb(rgb)[None], style)
        height, width = rgb.shape[:2]
        if stylised.shape[:2] != (height, width):
            img = Image.fromarray(to_uint8(stylised)).resize((width, height), Image.BILINEAR)
            stylised = to_float_rgb(np.asarray(img))
        lesion = MelaninBackend().transfer(rgb, mask, target, seed=seed, measure=False)
        radius = p["feather_px"] or 0.025 * float(np.hypot(height, width))
        soft = feather(mask, radius)[..., None]
        blended = stylised * (1 - soft) + to_float_rgb(lesion.image) * soft
        out = to_uint8(blended)
        used = {
            "handle": str(p["handle"]),
            "style_template": None if template is None else template.as_dict(),
            "feather_px": round(float(radius), 3),
            "lesion_increment_od": lesion.params["increment_od"],
        }
        return out, used
