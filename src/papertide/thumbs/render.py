"""PDF bytes → a small WebP of page one (pure: no network, no database, no files).

Library: pypdfium2, the Python binding of PDFium (the PDF engine of Chromium: maintained,
fuzzed, fast, and it renders what browsers render); Pillow encodes the WebP. At 320 pixels wide a
first page takes a few tens of milliseconds of CPU and 5–25 KB (see bench/thumbnail_bench.py).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from papertide.store.schema import ThumbStatus
from papertide.thumbs.errors import ThumbnailError

# Pixels across: twice the card's 160 CSS pixels at most, so it stays sharp on dense screens.
THUMB_WIDTH = 320
# Taller pages (a poster, a long strip) keep their top part: letter is 1.29, A4 1.41.
MAX_ASPECT = 1.5
MAX_WEBP_BYTES = 30_000
# Tried in turn until the image fits MAX_WEBP_BYTES; then the image itself is made smaller.
QUALITIES = (75, 55, 35)


@dataclass(frozen=True, slots=True)
class RenderedThumbnail:
    webp: bytes
    width: int
    height: int


def render_first_page(
    pdf: bytes, *, width: int = THUMB_WIDTH, max_bytes: int = MAX_WEBP_BYTES
) -> RenderedThumbnail:
    """Page one of `pdf` as WebP, `width` pixels across and at most `max_bytes` long.

    Raises ThumbnailError: ENCRYPTED when the PDF needs a password, BROKEN when PDFium cannot
    read it or it has no usable first page.
    """
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        # PDFium also says "password" for some damaged files (one with no pages, say); an
        # encrypted PDF always names its /Encrypt dictionary in plain text.
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD and b"/Encrypt" in pdf:
            raise ThumbnailError(ThumbStatus.ENCRYPTED, "the PDF needs a password") from None
        raise ThumbnailError(ThumbStatus.BROKEN, f"PDFium cannot read it ({exc})") from None
    try:
        if len(document) == 0:
            raise ThumbnailError(ThumbStatus.BROKEN, "the PDF has no pages")
        image = _render(document[0], width)
    except pdfium.PdfiumError as exc:
        raise ThumbnailError(ThumbStatus.BROKEN, f"PDFium cannot render page 1 ({exc})") from None
    finally:
        document.close()
    return encode_webp(image, max_bytes)


def _render(page: pdfium.PdfPage, width: int) -> Image.Image:
    page_width, page_height = page.get_size()  # points, after the page's rotation
    if not (page_width >= 1 and page_height >= 1):
        raise ThumbnailError(
            ThumbStatus.BROKEN, f"page 1 has no usable size ({page_width}×{page_height} pt)"
        )
    # Cutting a tall page in PDF units, before rendering, keeps the bitmap small whatever the
    # page claims to be.
    cut_bottom = max(0.0, page_height - page_width * MAX_ASPECT)
    bitmap = page.render(scale=width / page_width, crop=(0, cut_bottom, 0, 0), may_draw_forms=False)
    try:
        return bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()


def encode_webp(image: Image.Image, max_bytes: int = MAX_WEBP_BYTES) -> RenderedThumbnail:
    """The image as WebP in at most `max_bytes`: lower quality first, then fewer pixels."""
    while True:
        for quality in QUALITIES:
            out = io.BytesIO()
            image.save(out, "WEBP", quality=quality, method=4)
            if out.tell() <= max_bytes:
                return RenderedThumbnail(out.getvalue(), image.width, image.height)
        if image.width <= 16 or image.height <= 16:
            raise ThumbnailError(
                ThumbStatus.TOO_LARGE, f"no WebP of page 1 fits in {max_bytes:,} bytes"
            )
        # Bytes grow about with the pixel count: aim a little under the cap in one step.
        factor = min(0.9, max(0.5, 0.95 * math.sqrt(max_bytes / out.tell())))
        smaller = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
        image = image.resize(smaller, Image.Resampling.LANCZOS)
