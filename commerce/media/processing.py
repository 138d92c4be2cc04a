"""Turning an uploaded file into a product photo: checked, stripped of metadata, with its thumbnail.

Pillow reads only JPEG, PNG and WebP here, decided by the file's content, never its name. A file
over the byte limit, an image over the pixel limit (read from its header, before any decoding:
a decompression bomb is refused unread), an animated one, a damaged one or one too small to show
is refused. What is kept is re-encoded from the pixels: the camera's orientation applied, and
nothing else of its metadata (EXIF with GPS position and camera serial, XMP, text chunks) carried
over; the colour profile stays. The thumbnail (at most 320 pixels a side, WebP) is made once, here.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from commerce.media.errors import (
    ImageAnimated,
    ImageTooLarge,
    ImageTooManyPixels,
    ImageTooSmall,
    ImageTypeNotAllowed,
    ImageUnreadable,
)

# Pillow's format name -> content type and file extension.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
CONTENT_TYPES = {extension: content_type for content_type, extension in FORMATS.values()}
THUMBNAIL_SIDE = 320
MINIMUM_SIDE = 100
JPEG_QUALITY = 90


@dataclass(frozen=True, slots=True)
class Photo:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    thumbnail: bytes
    # Of the stored bytes: the same photo uploaded again is the same photo.
    sha256: str


def process(data: bytes, *, max_bytes: int, max_pixels: int) -> Photo:
    """The photo kept of an upload, or an ImageRefused saying why none is."""
    if len(data) > max_bytes:
        raise ImageTooLarge(limit_mb=max_bytes // 1_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
        except UnidentifiedImageError:
            raise ImageTypeNotAllowed() from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageTooManyPixels(limit=max_pixels // 1_000_000) from None
        except Exception:  # a crafted file can make a decoder fail in any of its ways
            raise ImageUnreadable() from None
        width, height = image.size
        if width * height > max_pixels:
            raise ImageTooManyPixels(limit=max_pixels // 1_000_000)
        if getattr(image, "n_frames", 1) > 1:
            raise ImageAnimated()
        try:
            image.load()
        except Exception:  # damaged, cut short or crafted: no photo either way
            raise ImageUnreadable() from None
    image_format = image.format
    content_type, extension = FORMATS[image_format]
    profile = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    if min(upright.size) < MINIMUM_SIDE:
        raise ImageTooSmall(minimum=MINIMUM_SIDE)
    kept = _encode(upright, image_format, profile)
    thumbnail = upright.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    small = io.BytesIO()
    _displayable(thumbnail, "WEBP").save(small, "WEBP", quality=80)
    return Photo(
        data=kept,
        content_type=content_type,
        extension=extension,
        width=upright.size[0],
        height=upright.size[1],
        thumbnail=small.getvalue(),
        sha256=hashlib.sha256(kept).hexdigest(),
    )


def _displayable(image: Image.Image, image_format: str) -> Image.Image:
    """The image in a mode the format writes (JPEG has no alpha; palettes and CMYK become RGB)."""
    if image_format == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image.mode in ("RGB", "RGBA", "L", "LA") or (image_format == "PNG" and image.mode in ("P", "I", "I;16", "1")):
        return image
    return image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")


def _encode(image: Image.Image, image_format: str, profile: bytes | None) -> bytes:
    output = io.BytesIO()
    options: dict = {}
    if profile:
        options["icc_profile"] = profile
    if image_format == "JPEG":
        options.update(quality=JPEG_QUALITY, optimize=True)
    elif image_format == "WEBP":
        options.update(quality=JPEG_QUALITY)
    else:
        options.update(optimize=True)
    _displayable(image, image_format).save(output, image_format, **options)
    return output.getvalue()
