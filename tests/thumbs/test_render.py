"""Rendering real PDFs made for the purpose: page one becomes a small WebP, or a clear reason."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image

from papertide.store.schema import ThumbStatus
from papertide.thumbs.errors import ThumbnailError
from papertide.thumbs.isolated import IsolatedRenderer
from papertide.thumbs.render import MAX_WEBP_BYTES, THUMB_WIDTH, encode_webp, render_first_page

from .conftest import pdf


def _image(webp: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(webp))
    assert image.format == "WEBP"
    return image.convert("RGB")


def _blank_pdf(width: float, height: float) -> bytes:
    document = pdfium.PdfDocument.new()
    document.new_page(width, height)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_first_page_of_a_paper_becomes_a_small_webp_showing_text_and_figure() -> None:
    thumbnail = render_first_page(pdf("paper.pdf"))

    assert len(thumbnail.webp) <= MAX_WEBP_BYTES
    image = _image(thumbnail.webp)
    assert image.size == (thumbnail.width, thumbnail.height) == (THUMB_WIDTH, 415)  # letter
    rgb = np.asarray(image).astype(int)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    assert (rgb.min(axis=2) > 235).mean() > 0.6, "a paper page is mostly white"
    assert (rgb.max(axis=2) < 200).mean() > 0.05, "the title and the text show"
    assert ((blue > 200) & (red < 180)).sum() > 500, "the figure's bars show, in colour"
    assert ((red > 150) & (green < 110) & (blue < 110)).sum() > 10, "and its red curve"


def test_only_page_one_is_rendered() -> None:
    one_page = io.BytesIO()
    source = pdfium.PdfDocument(pdf("paper.pdf"))
    first = pdfium.PdfDocument.new()
    first.import_pages(source, [0])
    first.save(one_page)

    assert render_first_page(one_page.getvalue()).webp == render_first_page(pdf("paper.pdf")).webp


def test_an_owner_password_alone_does_not_stop_the_thumbnail() -> None:
    thumbnail = render_first_page(pdf("owner_password.pdf"))

    assert thumbnail.webp == render_first_page(pdf("paper.pdf")).webp


def test_a_pdf_that_needs_a_password_is_reported_as_encrypted() -> None:
    with pytest.raises(ThumbnailError) as caught:
        render_first_page(pdf("encrypted.pdf"))

    assert caught.value.status is ThumbStatus.ENCRYPTED
    assert "password" in caught.value.reason


@pytest.mark.parametrize(
    "data",
    [pdf("broken.pdf"), b"<html><body>Service unavailable</body></html>", b""],
    ids=["damaged-pdf", "html", "empty"],
)
def test_what_pdfium_cannot_read_is_reported_as_broken(data: bytes) -> None:
    with pytest.raises(ThumbnailError) as caught:
        render_first_page(data)

    assert caught.value.status is ThumbStatus.BROKEN
    assert "PDFium cannot read it" in caught.value.reason


def test_a_very_tall_page_keeps_its_top_and_a_small_bitmap() -> None:
    thumbnail = render_first_page(_blank_pdf(100, 100_000))

    assert (thumbnail.width, thumbnail.height) == (THUMB_WIDTH, THUMB_WIDTH * 3 // 2)


def test_a_very_wide_page_is_scaled_to_the_thumbnail_width() -> None:
    thumbnail = render_first_page(_blank_pdf(14_400, 200))

    assert thumbnail.width == THUMB_WIDTH
    assert 1 <= thumbnail.height <= 10


def test_an_image_too_detailed_for_the_cap_is_made_smaller_until_it_fits() -> None:
    pixels = np.random.default_rng(14).integers(0, 256, (800, 640, 3), dtype=np.uint8)
    noise = Image.fromarray(pixels, "RGB")

    thumbnail = encode_webp(noise, max_bytes=20_000)

    assert len(thumbnail.webp) <= 20_000
    assert thumbnail.width < 640
    assert _image(thumbnail.webp).size == (thumbnail.width, thumbnail.height)


def test_isolated_renderer_gives_the_same_image_and_the_same_reasons() -> None:
    with IsolatedRenderer() as renderer:
        assert renderer.render(pdf("paper.pdf")).webp == render_first_page(pdf("paper.pdf")).webp
        with pytest.raises(ThumbnailError) as caught:
            renderer.render(pdf("encrypted.pdf"))
        assert caught.value.status is ThumbStatus.ENCRYPTED
        with pytest.raises(ThumbnailError) as caught:
            renderer.render(pdf("broken.pdf"))
        assert caught.value.status is ThumbStatus.BROKEN


def test_a_render_that_overruns_its_time_is_stopped_and_the_next_pdf_renders() -> None:
    with IsolatedRenderer(timeout=0.0) as renderer:
        first = renderer.pid
        with pytest.raises(ThumbnailError) as caught:
            renderer.render(pdf("paper.pdf"))
        assert caught.value.status is ThumbStatus.BROKEN
        assert "took longer than" in caught.value.reason
        assert renderer.pid is None, "the overrunning child is gone"

        renderer.timeout = 30.0
        assert renderer.render(pdf("paper.pdf")).width == THUMB_WIDTH
        assert renderer.pid not in (None, first)


def test_a_render_out_of_memory_costs_that_pdf_only() -> None:
    # Less address space than the child already uses: every allocation of the render fails.
    with IsolatedRenderer(memory_limit=8 * 1024 * 1024) as renderer:
        with pytest.raises(ThumbnailError) as caught:
            renderer.render(pdf("paper.pdf"))
        # Out of memory in Python is reported as such; in PDFium it may kill the child.
        assert caught.value.status in (ThumbStatus.TOO_LARGE, ThumbStatus.BROKEN)

        renderer.memory_limit = 2 * 1024**3
        assert renderer.render(pdf("paper.pdf")).width == THUMB_WIDTH


def test_a_renderer_that_dies_mid_render_costs_that_pdf_only() -> None:
    with IsolatedRenderer(timeout=60.0) as renderer:
        renderer.render(pdf("paper.pdf"))
        child = renderer.pid
        assert child is not None
        os.kill(child, signal.SIGSTOP)  # so that it cannot answer before it is killed
        failures: list[ThumbnailError] = []

        def render() -> None:
            try:
                renderer.render(pdf("paper.pdf"))
            except ThumbnailError as exc:
                failures.append(exc)

        waiting = threading.Thread(target=render)
        waiting.start()
        time.sleep(0.5)  # the render is waiting for the stopped child's answer by now
        os.kill(child, signal.SIGKILL)
        waiting.join(timeout=30)

        assert [f.status for f in failures] == [ThumbStatus.BROKEN]
        assert "renderer died on this PDF (exit code -9)" in failures[0].reason
        assert renderer.render(pdf("paper.pdf")).width == THUMB_WIDTH
