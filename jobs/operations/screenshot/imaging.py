"""Image work: Chromium's PNG into the asked format, and the perceptual hash."""

from __future__ import annotations

import io

import imagehash
from PIL import Image

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def encode(png: bytes, fmt: str, quality: int) -> tuple[bytes, int, int]:
    """The image in ``fmt`` with its width and height."""
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        if fmt == "png":
            return png, width, height
        out = io.BytesIO()
        rgb = image.convert("RGB")  # jpeg has no alpha; webp keeps smaller without it
        rgb.save(out, PIL_FORMATS[fmt], quality=quality)
        return out.getvalue(), width, height


def phash(png: bytes) -> str:
    """pHash of the picture; a box-reduced copy first (the hash looks at 32x32 anyway, and
    resampling a full-size page down to that is most of the cost)."""
    with Image.open(io.BytesIO(png)) as image:
        factor = max(1, min(image.size) // 256)
        return str(imagehash.phash(image.convert("L").reduce(factor)))


def distance(a: str, b: str) -> int:
    """Hamming distance of two pHash hex strings (0 = same picture, 64 = opposite)."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")
