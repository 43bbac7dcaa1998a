"""Weight-free lesion segmentation for dermoscopic images (NumPy + SciPy only).

Pipeline, at a working size of about 200 px: hair closing, field-of-view (dark vignette)
detection, illumination flattening, a biased Otsu threshold on the green+blue reflectance,
the largest central component, convex hull and smoothing. Parameters were chosen on the
HAM10000 images in ../shared/data (see bench/segmentation_dice.py for the figures).
"""

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage as ndi
from scipy.spatial import ConvexHull, QhullError

from synthesis.ml.color import to_float_rgb, to_uint8

WORK_SIDE = 200  # lesions are large; 200 px keeps the boundary to ~1% and runs in a few ms
_HAIR_RADIUS = 2  # hairs are 1-4 px wide at the working size
_VIGNETTE_FRACTION = 0.5  # border pixels darker than half the skin brightness are outside the lens
_OTSU_BIAS = 0.4  # expert masks are generous: move the threshold 40% of the way towards skin
_CENTRE_SIGMA = 0.3  # components far from the centre are usually shadows or vignette remnants
_MIN_CONTRAST = 0.05  # relative spread below which there is nothing to segment


def _disk(radius: int) -> np.ndarray:
    y, x = np.ogrid[-radius : radius + 1, -radius : radius + 1]
    return x * x + y * y <= radius * radius


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of a 1-D sample (float64 sums; empty classes never win)."""
    hist, edges = np.histogram(np.asarray(values, dtype=np.float64), bins=bins)
    hist = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    ok = (w0 > 0) & (w1 > 0)
    between = np.zeros_like(w0)
    between[ok] = (m0[-1] * w0[ok] / w0[-1] - m0[ok]) ** 2 / (w0[ok] * w1[ok])
    return float(centres[np.argmax(between)])


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 1:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {rgb.shape}")
    if rgb.dtype == np.uint8:
        return rgb
    if not np.issubdtype(rgb.dtype, np.floating):
        raise ValueError(f"expected a uint8 (or float 0..1) RGB image, got dtype {rgb.dtype}")
    return to_uint8(to_float_rgb(rgb))


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """PIL bilinear resize of a uint8 array to (width, height)."""
    return np.asarray(Image.fromarray(image).resize(size, Image.BILINEAR))


def _working_image(rgb: np.ndarray) -> np.ndarray:
    """Float 0..1 image at the working size with dark hairs and ruler marks closed over."""
    h, w = rgb.shape[:2]
    scale = WORK_SIDE / max(h, w)
    if scale < 1:
        rgb = _resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))))
    f = to_float_rgb(rgb)
    # A grey closing fills thin dark structures (hair) narrower than the disk.
    return np.stack(
        [ndi.grey_closing(f[..., c], footprint=_disk(_HAIR_RADIUS)) for c in range(3)], -1
    )


def _border_labels(labels: np.ndarray) -> np.ndarray:
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    edge = np.unique(edge)
    return edge[edge > 0]


def _field_of_view(f: np.ndarray) -> np.ndarray:
    """True inside the dermoscope's view: drops dark regions connected to the image border."""
    brightness = f.mean(axis=-1)
    dark = brightness < _VIGNETTE_FRACTION * np.percentile(brightness, 90)
    labels, _ = ndi.label(dark)
    outside = np.isin(labels, _border_labels(labels))
    inside = ~ndi.binary_dilation(outside, iterations=2)
    # A lesion filling the frame can look like vignette; then trust the whole image.
    return inside if inside.sum() >= 0.2 * inside.size else np.ones_like(inside)


def field_of_view_mask(rgb: np.ndarray) -> np.ndarray:
    """HxW bool: pixels inside the dermoscope's field of view (outside the dark vignette)."""
    rgb = _check_rgb(rgb)
    fov = _field_of_view(_working_image(rgb))
    return _upsample(fov, rgb.shape[:2])


def _flatten_illumination(channel: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Divide by a quadratic surface fitted to skin pixels (uneven lighting, soft vignette)."""
    h, w = channel.shape
    yy, xx = np.mgrid[:h, :w]
    yy, xx = yy / h - 0.5, xx / w - 0.5
    basis = np.stack([np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy], axis=-1).reshape(-1, 6)
    idx = np.flatnonzero(skin.ravel())[::4]  # a quarter of the samples fits just as well
    a, y = basis[idx], channel.ravel()[idx].astype(np.float64)
    # Normal equations: a 6x6 solve, much cheaper than lstsq's SVD on thousands of rows.
    coef = np.linalg.solve(a.T @ a + 1e-9 * np.eye(6), a.T @ y)
    surface = (basis @ coef).reshape(h, w)
    return (channel / np.maximum(surface, 1e-3)).astype(np.float32)


def _pick_component(candidates: np.ndarray) -> np.ndarray:
    """The component with the best area x centrality, penalising long runs along the border."""
    labels, n = ndi.label(candidates)
    if n == 0:
        return candidates
    h, w = candidates.shape
    idx = np.arange(1, n + 1)
    area = ndi.sum(candidates, labels, idx)
    yy, xx = np.mgrid[:h, :w]
    dist = np.hypot(
        (ndi.mean(yy, labels, idx) - h / 2) / h, (ndi.mean(xx, labels, idx) - w / 2) / w
    )
    ring = np.zeros((h, w), bool)
    ring[0] = ring[-1] = ring[:, 0] = ring[:, -1] = True
    border_share = ndi.sum(ring, labels, idx) / (2 * (h + w))
    score = area * np.exp(-((dist / _CENTRE_SIGMA) ** 2)) * np.exp(-4 * border_share)
    return labels == idx[np.argmax(score)]


def _convex_hull(mask: np.ndarray) -> np.ndarray:
    """Fill the convex hull: lesions are near-convex and expert outlines include the gaps."""
    points = np.argwhere(mask & ~ndi.binary_erosion(mask))[:, ::-1]  # the outline is enough
    try:
        vertices = points[ConvexHull(points).vertices]
    except (QhullError, ValueError):  # fewer than 3 points, or all on one line
        return mask
    canvas = Image.new("L", (mask.shape[1], mask.shape[0]), 0)
    ImageDraw.Draw(canvas).polygon([tuple(p) for p in vertices.tolist()], fill=1, outline=1)
    return np.asarray(canvas) > 0


def _upsample(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if mask.shape == shape:
        return mask
    big = _resize(mask.astype(np.uint8) * 255, (shape[1], shape[0]))
    return big >= 128


def segment_lesion(rgb: np.ndarray, *, dermoscopy_priors: bool = True) -> np.ndarray:
    """HxWx3 uint8 dermoscopic image -> HxW bool lesion mask (empty when nothing stands out).

    Without dermoscopy_priors (clinical photographs) there is no lens field of view to find
    and no convex hull: a photograph's dark corners are the scene, and its lesions are often
    not convex (plaques, several papules)."""
    rgb = _check_rgb(rgb)
    shape = rgb.shape[:2]
    f = _working_image(rgb)
    inside = _field_of_view(f) if dermoscopy_priors else np.ones(f.shape[:2], dtype=bool)
    # Melanin and haemoglobin absorb green and blue far more than red: lesions stand out there.
    channel = ndi.gaussian_filter(0.5 * (f[..., 1] + f[..., 2]), sigma=1.0)
    sample = channel[inside]
    lo, hi = np.percentile(sample, [1, 99])
    if hi - lo < _MIN_CONTRAST * max(hi, 1e-3):
        return np.zeros(shape, bool)
    skin = inside & (channel > otsu_threshold(sample))
    if skin.sum() >= 50:
        channel = _flatten_illumination(channel, skin)
    sample = channel[inside]
    t = otsu_threshold(sample)
    skin_level = np.median(sample[sample >= t])
    t = t + _OTSU_BIAS * (skin_level - t)
    candidates = ndi.binary_opening((channel < t) & inside, structure=_disk(1))
    mask = ndi.binary_fill_holes(_pick_component(candidates))
    if mask.any() and dermoscopy_priors:
        mask = _convex_hull(mask)
    if mask.any():
        mask = ndi.binary_opening(mask, structure=_disk(2))
    return _upsample(mask, shape)


def segment_clinical(rgb: np.ndarray) -> np.ndarray:
    """The classical pipeline without the dermoscopy priors, for clinical photographs."""
    return segment_lesion(rgb, dermoscopy_priors=False)
