"""Perceptual fingerprints for near-duplicate detection, and the keys that find them without
scanning every stored row. Plain Pillow/imagehash/NumPy, no Django.

A fingerprint is the DCT perceptual hash (imagehash.phash) of ten regions of the image in a
normalised 256×256 grey frame: region 0 is the central 80% (the corners change most under a
small rotation, and dermoscopes vignette them), regions 1–9 are the central 80% of nine 90%
windows on a 3×3 grid. A copy cropped by up to 10% then matches the original through one of the
windows; matching region 0 of one image against every region of the other (both ways) covers
either order of upload. Each region has a coarse 64-bit hash, which the database indexes, and
a fine 256-bit hash, which confirms a candidate.

The index is multi-index hashing (Norouzi et al., CVPR 2012): the coarse hash is cut into four
16-bit bands, and a lookup asks, through four B-tree indexes, for the rows whose band is within
BAND_RADIUS bit of the query's (17 values per band). Two hashes within 7 bits always agree so on
some band (pigeonhole: 4 × (BAND_RADIUS + 1) > 7); copies further apart (a crop or a rotation,
up to COARSE_MAX) are found when one band escaped the change, which the many region pairings
make likely: bench/near_duplicates.py measures the recall through the index. A radius of 2
would guarantee all of COARSE_MAX but touch about 8 times more rows."""

import io
from dataclasses import dataclass
from functools import cache
from itertools import combinations

import imagehash
import numpy as np
from PIL import Image

FRAME = 256
CENTRE = 0.8
WINDOW = 0.9
GRID = 3
BANDS = 4
BAND_BITS = 16
BAND_RADIUS = 1
# Thresholds, measured by bench/near_duplicates.py on the shared dermoscopy images: copies
# (resize, JPEG 60, 10% crop, ±10% brightness, 5° rotation) and distinct images.
COARSE_MAX = 11
FINE_MAX = 80
FINE_BITS = 256

REGION_COUNT = 1 + GRID * GRID


@dataclass(frozen=True)
class RegionHash:
    region: int
    coarse: int  # unsigned 64-bit
    fine: bytes  # 32 bytes

    @property
    def bands(self) -> tuple[int, ...]:
        return bands(self.coarse)


Fingerprint = tuple[RegionHash, ...]


@dataclass(frozen=True)
class Match:
    coarse: int  # Hamming distance of the closest coarse pair, 0–64
    fine: int  # Hamming distance of the closest fine pair, 0–256

    @property
    def is_near_duplicate(self) -> bool:
        return self.coarse <= COARSE_MAX and self.fine <= FINE_MAX


def _boxes() -> list[tuple[float, float, float, float]]:
    """Region boxes as fractions of the frame: the centre, then the nine windows' centres."""
    margin = (1 - CENTRE) / 2
    boxes = [(margin, margin, 1 - margin, 1 - margin)]
    side = WINDOW * CENTRE
    for i in range(GRID):
        for j in range(GRID):
            x0 = (1 - WINDOW) * i / (GRID - 1) + WINDOW * margin
            y0 = (1 - WINDOW) * j / (GRID - 1) + WINDOW * margin
            boxes.append((x0, y0, x0 + side, y0 + side))
    return boxes


BOXES = _boxes()


def _frame(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (FRAME * 2, FRAME * 2))  # JPEG: decode at reduced scale, fast
        grey = image.convert("L")
    return grey.resize((FRAME, FRAME), Image.Resampling.BILINEAR)


def _bits_to_int(bits: np.ndarray) -> int:
    return int.from_bytes(np.packbits(bits.flatten()).tobytes(), "big")


def fingerprint_image(image: Image.Image) -> Fingerprint:
    """The ten region hashes of a decoded image (any mode, any size)."""
    grey = image.convert("L").resize((FRAME, FRAME), Image.Resampling.BILINEAR)
    return _fingerprint_frame(grey)


def fingerprint(data: bytes) -> Fingerprint:
    """The ten region hashes of an encoded image (JPEG, PNG, WebP)."""
    return _fingerprint_frame(_frame(data))


def _fingerprint_frame(grey: Image.Image) -> Fingerprint:
    out = []
    for index, (x0, y0, x1, y1) in enumerate(BOXES):
        region = grey.crop(
            (round(x0 * FRAME), round(y0 * FRAME), round(x1 * FRAME), round(y1 * FRAME))
        )
        coarse = _bits_to_int(imagehash.phash(region, hash_size=8).hash)
        fine = np.packbits(imagehash.phash(region, hash_size=16).hash.flatten()).tobytes()
        out.append(RegionHash(region=index, coarse=coarse, fine=fine))
    return tuple(out)


def bands(coarse: int) -> tuple[int, ...]:
    mask = (1 << BAND_BITS) - 1
    return tuple((coarse >> (BAND_BITS * (BANDS - 1 - k))) & mask for k in range(BANDS))


@cache
def _flips(radius: int) -> tuple[int, ...]:
    """Every BAND_BITS-bit mask with at most `radius` bits set."""
    masks = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(BAND_BITS), r):
            masks.append(sum(1 << b for b in bits))
    return tuple(masks)


def band_neighbours(value: int, radius: int = BAND_RADIUS) -> list[int]:
    """The band values within `radius` bits of `value` (17 for radius 1)."""
    return [value ^ mask for mask in _flips(radius)]


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def fine_distance(a: bytes, b: bytes) -> int:
    return hamming(int.from_bytes(a, "big"), int.from_bytes(b, "big"))


def compare(query: Fingerprint, stored: Fingerprint) -> Match:
    """The closest pairing allowed: centre against every region, both ways. The fine distance
    is the smallest among pairings whose coarse hashes are within COARSE_MAX."""
    q = {h.region: h for h in query}
    s = {h.region: h for h in stored}
    pairs = [(q[0], h) for h in stored] + [(h, s[0]) for h in query if h.region != 0]
    best_coarse, best_fine = 64, FINE_BITS
    for a, b in pairs:
        coarse = hamming(a.coarse, b.coarse)
        best_coarse = min(best_coarse, coarse)
        if coarse <= COARSE_MAX:
            best_fine = min(best_fine, fine_distance(a.fine, b.fine))
    return Match(coarse=best_coarse, fine=best_fine)


def to_signed(value: int) -> int:
    """Unsigned 64-bit -> the signed value a database BIGINT holds."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
