"""Decode, check and de-identify an uploaded image file. Plain Pillow/NumPy, no Django."""

import hashlib
import io
import struct
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# A truncated file must fail loudly, not decode into grey bands.
ImageFile.LOAD_TRUNCATED_IMAGES = False

ACCEPTED_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "png"}


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogues (makemessages knows this name) without
    importing Django; whoever shows it translates it (ImageRejected.translated)."""
    return message


class ImageRejected(ValueError):
    """The file is not an image PixGen accepts; the message says why, for the uploader."""

    def __init__(self, message: str, **params: object) -> None:
        self.message, self.params = message, params
        super().__init__(message % params if params else message)

    def translated(self, gettext) -> str:
        """The message in the active language, given Django's gettext."""
        text = gettext(self.message)
        return text % self.params if self.params else text


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    file_format: str
    width: int
    height: int
    sha256: str
    thumbnail: bytes


def pixel_hash(rgb: Image.Image) -> str:
    digest = hashlib.sha256(f"{rgb.width}x{rgb.height}:".encode())
    digest.update(rgb.tobytes())
    return digest.hexdigest()


def _open_checked(data: bytes, *, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED_FORMATS:
                raise ImageRejected(
                    gettext_noop("%(format)s files are not accepted; upload JPEG, PNG or WebP."),
                    format=image.format or "?",
                )
            if image.width * image.height > max_pixels:
                raise ImageRejected(
                    gettext_noop("The image is %(size)s pixels; the limit is %(limit)s pixels."),
                    size=f"{image.width}×{image.height}",
                    limit=f"{max_pixels:,}",
                )
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            gettext_noop("The image declares more pixels than PixGen accepts.")
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(
            gettext_noop("The file is not an image PixGen can read (JPEG, PNG or WebP).")
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error, zlib.error) as exc:
        raise ImageRejected(
            gettext_noop("The image could not be decoded completely (%(error)s)."), error=exc
        ) from None
    return image


HIGH_BIT_DEPTH_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale (PNG) -> 8-bit greyscale by scaling, not clipping: Pillow's own convert
    clips every sample above 255, which turns an ordinary 16-bit image white."""
    if image.mode not in HIGH_BIT_DEPTH_MODES:
        return image
    samples = np.clip(np.asarray(image, dtype=np.float64), 0, 65535)
    return Image.fromarray(np.round(samples / 257).astype(np.uint8), mode="L")


def _to_rgb(image: Image.Image) -> Image.Image:
    image = _eight_bit(ImageOps.exif_transpose(image))
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    rgb = image.convert("RGB")
    # A fresh image from the raw pixels carries no info dict: no EXIF, GPS, XMP, ICC, comments.
    return Image.frombytes("RGB", rgb.size, rgb.tobytes())


def deidentify(data: bytes, *, max_bytes: int, max_pixels: int, thumbnail_size: int) -> CleanImage:
    """Check a raw upload and return the re-encoded, metadata-free master and its thumbnail."""
    if not data:
        raise ImageRejected(gettext_noop("The file is empty."))
    if len(data) > max_bytes:
        raise ImageRejected(
            gettext_noop("The file is %(size)s MB; the limit is %(limit)s MB."),
            size=f"{len(data) / 1048576:.1f}",
            limit=f"{max_bytes / 1048576:.0f}",
        )
    source = _open_checked(data, max_pixels=max_pixels)
    source_format = source.format
    rgb = _to_rgb(source)
    extension = ACCEPTED_FORMATS[source_format]
    out = io.BytesIO()
    if extension == "jpg":
        rgb.save(out, format="JPEG", quality=95)
    else:
        rgb.save(out, format="PNG", compress_level=6)
    thumb = rgb.copy()
    thumb.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=85)
    return CleanImage(
        content=out.getvalue(),
        extension=extension,
        file_format="JPEG" if extension == "jpg" else "PNG",
        width=rgb.width,
        height=rgb.height,
        sha256=pixel_hash(rgb),
        thumbnail=thumb_out.getvalue(),
    )


def decode_rgb(data: bytes) -> np.ndarray:
    """Stored master bytes -> HxWx3 uint8 array."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


# A drawn mask may have anti-aliased edges; more grey than this is a photograph or a
# probability map, not a black-and-white mask.
MAX_GREY_SHARE = 0.02


def decode_mask(
    data: bytes,
    *,
    size: tuple[int, int] | None = None,
    max_pixels: int = 100_000_000,
    binary: bool = False,
) -> np.ndarray:
    """A mask file (any mode; lesion where >= half the range) -> HxW bool, checked against
    (width, height) before its pixels are decoded. With `binary`, a mask with more than 2% of
    grey pixels is refused. Any file that does not decode completely is an ImageRejected with
    the reason, never a Pillow error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if size is not None and image.size != size:
                    raise ImageRejected(
                        gettext_noop(
                            "The mask is %(mask)s but the image is %(image)s; they must match."
                        ),
                        mask=f"{image.width}×{image.height}",
                        image=f"{size[0]}×{size[1]}",
                    )
                if image.width * image.height > max_pixels:
                    raise ImageRejected(
                        gettext_noop("The mask is %(size)s pixels; the limit is %(limit)s pixels."),
                        size=f"{image.width}×{image.height}",
                        limit=f"{max_pixels:,}",
                    )
                image.load()
                grey = np.asarray(_eight_bit(image).convert("L"))
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            gettext_noop("The mask declares more pixels than PixGen accepts.")
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(
            gettext_noop("The mask is not an image PixGen can read (PNG).")
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error, zlib.error) as exc:
        raise ImageRejected(
            gettext_noop("The mask could not be decoded completely (%(error)s)."), error=exc
        ) from None
    if binary:
        share = float(((grey > 15) & (grey < 240)).mean())
        if share > MAX_GREY_SHARE:
            raise ImageRejected(
                gettext_noop(
                    "The mask is not black and white: %(share)s of its pixels are grey. Paint "
                    "the lesion white (255) and the rest black (0)."
                ),
                share=f"{100 * share:.0f}%",
            )
    return grey >= 128


def encode_mask(mask: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.where(mask, 255, 0).astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()
