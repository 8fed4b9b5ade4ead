"""Make the PDFs the thumbnail tests render; the outputs are committed next to this script.

    pip install reportlab==5.1.0 pypdf==7.1.0   # only to re-make them; the tests do not need it
    python tests/data/pdfs/make_pdfs.py

- `paper.pdf`: a three-page, two-column paper in the arXiv look (title, authors, abstract, a
  vector figure with axes, curves and bars, a caption, body text on every page).
- `encrypted.pdf`: the same paper behind a user password ("secret", RC4-128): it cannot be
  opened without the password, as some publishers' PDFs cannot.
- `owner_password.pdf`: the same paper with only an owner password (printing/copying rules and
  an empty user password): every viewer opens it, and so must the renderer.
- `broken.pdf`: a download cut short and then overwritten with junk, as a failed proxy leaves
  it: a PDF header, the start of the paper, then garbage and no cross-reference table.

The output is deterministic (fixed creation dates, file id and random seed), except that pypdf
draws the second half of an encrypted file's id at random on every write; that changes a few
bytes of the trailer, never what a reader sees.
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.pdfgen.canvas import Canvas

HERE = Path(__file__).resolve().parent
WORDS = (  # noqa: SIM905 - a paragraph reads better than forty quoted words
    "we propose model training data results method learning language vision attention "
    "transformer benchmark evaluation scaling tokens loss performance baseline dataset task "
    "reasoning experiments show improves accuracy approach large small robust efficient "
    "inference retrieval alignment representation objective gradient layer sparse dense"
).split()


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _column(canvas: Canvas, rng: random.Random, x: float, top: float, bottom: float) -> None:
    y = top
    while y > bottom:
        canvas.drawString(x, y, _words(rng, 9)[:58])
        y -= 11


def _figure(canvas: Canvas, x: float, y: float, w: float, h: float) -> None:
    """A plot as papers have them: axes, ticks, two curves, bars, a legend."""
    canvas.setStrokeColor(colors.black)
    canvas.setLineWidth(0.8)
    canvas.line(x, y, x + w, y)
    canvas.line(x, y, x, y + h)
    for i in range(1, 6):
        canvas.line(x + i * w / 6, y, x + i * w / 6, y - 3)
        canvas.line(x, y + i * h / 6, x - 3, y + i * h / 6)
    for i in range(8):
        canvas.setFillColor(colors.Color(0.55, 0.7, 0.95))
        bar = h * (0.15 + 0.08 * i)
        canvas.rect(x + 10 + i * (w - 20) / 8, y, (w - 20) / 8 - 4, bar, stroke=0, fill=1)
    for color, phase in ((colors.Color(0.85, 0.2, 0.1), 0.0), (colors.Color(0.1, 0.5, 0.2), 1.3)):
        canvas.setStrokeColor(color)
        canvas.setLineWidth(1.6)
        path = canvas.beginPath()
        for i in range(121):
            px = x + i * w / 120
            py = y + h * (0.55 + 0.35 * math.sin(i / 14 + phase) * math.exp(-i / 160))
            if i == 0:
                path.moveTo(px, py)
            else:
                path.lineTo(px, py)
        canvas.drawPath(path, stroke=1, fill=0)
    canvas.setFillColor(colors.black)
    canvas.setFont("Helvetica", 7)
    canvas.drawString(x + w - 70, y + h - 10, "ours   baseline")


def paper_pdf() -> bytes:
    rng = random.Random(14)
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=LETTER, invariant=1, pageCompression=1)
    canvas.setTitle("Polite Thumbnails for Paper Feeds")
    width, height = LETTER
    for page in range(3):
        canvas.setFillColor(colors.black)
        if page == 0:
            canvas.setFont("Times-Bold", 17)
            canvas.drawCentredString(width / 2, height - 80, "Polite Thumbnails for Paper Feeds")
            canvas.setFont("Times-Roman", 11)
            canvas.drawCentredString(
                width / 2, height - 102, "Ada Lovelace · Alan Turing · Grace Hopper"
            )
            canvas.setFont("Times-Bold", 10)
            canvas.drawCentredString(width / 2, height - 130, "Abstract")
            canvas.setFont("Times-Roman", 9)
            for i in range(6):
                canvas.drawString(110, height - 146 - 11 * i, _words(rng, 15)[:92])
            _figure(canvas, 80, height - 420, 200, 150)
            canvas.setFont("Times-Italic", 8)
            canvas.drawString(72, height - 440, "Figure 1: accuracy against scale.")
            canvas.setFont("Times-Roman", 9)
            _column(canvas, rng, 72, height - 460, 72)
            _column(canvas, rng, 318, height - 240, 72)
        else:
            canvas.setFont("Times-Roman", 9)
            _column(canvas, rng, 72, height - 72, 72)
            _column(canvas, rng, 318, height - 72, 72)
        canvas.setFont("Times-Roman", 9)
        canvas.drawCentredString(width / 2, 40, str(page + 1))
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _encrypted(paper: bytes, *, user_password: str, owner_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(paper)))
    # A fixed file id makes the encryption key, and so the encrypted content, the same every run.
    file_id = ByteStringObject(b"papertide-tests!")
    writer._ID = ArrayObject([file_id, file_id])
    writer.encrypt(
        user_password=user_password,
        owner_password=owner_password,
        algorithm="RC4-128",  # deterministic, unlike AES with its random IVs
        permissions_flag=0,  # no printing, no copying: what owner-locked PDFs usually say
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def broken_pdf(paper: bytes) -> bytes:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(4096))
    return paper[: len(paper) // 3] + junk


def main() -> None:
    paper = paper_pdf()
    files = {
        "paper.pdf": paper,
        "encrypted.pdf": _encrypted(paper, user_password="secret", owner_password="owner"),
        "owner_password.pdf": _encrypted(paper, user_password="", owner_password="owner"),
        "broken.pdf": broken_pdf(paper),
    }
    for name, data in files.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data):,} bytes")


if __name__ == "__main__":
    main()
