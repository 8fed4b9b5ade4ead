"""Card thumbnails: CPU seconds and WebP bytes per paper, against the budget (≤ 1 s, ≤ 30 KB).

PDFs: the test PDFs (tests/data/pdfs), two heavier first pages made here with matplotlib (a
vector scatter of 20,000 points; a full-width raster figure with a photo-like image), and the real
documents this machine has (Debian's PDF manuals under /usr/share/doc, typeset like papers).
There is no network here, so no arXiv PDF; the kinds above are what arXiv first pages are made of.

Each PDF is rendered REPEATS times in this process (`render.render_first_page`: what the job's
child process runs), and once per PDF through the `IsolatedRenderer` the job uses, whose child's
CPU (start-up included) is read from the kernel after it exits. Ratios, not absolute times,
are what to compare between runs on a noisy shared machine.

    .venv/bin/python bench/thumbnail_bench.py [--repeats 5]

Prints a table and writes bench/results/thumbnails.json.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "thumbnails.json"
TEST_PDFS = ROOT / "tests" / "data" / "pdfs"
CPU_BUDGET = 1.0
BYTES_BUDGET = 30_000


def _matplotlib_pages() -> dict[str, bytes]:
    """Two first pages heavier than the test paper's, if matplotlib is installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError:
        return {}
    rng = np.random.default_rng(14)
    pages: dict[str, bytes] = {}

    def page(draw: Any) -> bytes:
        fig = plt.figure(figsize=(8.5, 11))
        fig.text(0.5, 0.95, "A Heavier First Page", ha="center", size=18, weight="bold")
        fig.text(0.5, 0.92, "Ada Lovelace · Alan Turing", ha="center", size=11)
        for i in range(40):
            fig.text(0.08, 0.40 - i * 0.0085, "lorem ipsum dolor sit amet " * 6, size=6)
        draw(fig.add_axes((0.1, 0.47, 0.8, 0.4)))
        out = io.BytesIO()
        fig.savefig(out, format="pdf")
        plt.close(fig)
        return out.getvalue()

    def scatter(ax: Any) -> None:
        x = rng.normal(size=20_000)
        ax.scatter(x, x * 0.5 + rng.normal(size=x.size), s=2, c=rng.random(x.size), cmap="viridis")

    def photo(ax: Any) -> None:
        # Smooth colour noise at 1600×1200: compresses like a photograph, not like flat colour.
        small = rng.random((60, 80, 3))
        ax.imshow(np.kron(small, np.ones((20, 20, 1))), interpolation="bicubic")
        ax.set_axis_off()

    pages["matplotlib-scatter-20k"] = page(scatter)
    pages["matplotlib-raster-figure"] = page(photo)
    return pages


def collect_pdfs() -> dict[str, bytes]:
    pdfs = {
        f"tests/{name}": (TEST_PDFS / name).read_bytes()
        for name in ("paper.pdf", "owner_password.pdf")
    }
    pdfs.update(_matplotlib_pages())
    for path in sorted(Path("/usr/share/doc").glob("**/*.pdf"))[:6]:
        pdfs[f"local/{path.name}"] = path.read_bytes()
    return pdfs


def measure_in_process(pdf: bytes, repeats: int) -> dict[str, Any]:
    from papertide.thumbs.render import render_first_page

    cpu: list[float] = []
    for _ in range(repeats):
        start = time.process_time()
        image = render_first_page(pdf)
        cpu.append(time.process_time() - start)
    return {
        "cpu_s": statistics.median(cpu),
        "cpu_s_max": max(cpu),
        "webp_bytes": len(image.webp),
        "size": [image.width, image.height],
    }


def measure_isolated(pdfs: dict[str, bytes]) -> dict[str, Any]:
    """The job's way: one child for the run; its CPU as the kernel counted it."""
    from papertide.thumbs.isolated import IsolatedRenderer

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    with IsolatedRenderer() as renderer:
        for pdf in pdfs.values():
            renderer.render(pdf)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"papers": len(pdfs), "child_cpu_s": child_cpu, "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))

    pdfs = collect_pdfs()
    rows = {
        name: {"pdf_bytes": len(pdf), **measure_in_process(pdf, args.repeats)}
        for name, pdf in pdfs.items()
    }
    isolated = measure_isolated(pdfs)
    in_process_total = sum(r["cpu_s"] for r in rows.values())

    print(f"{'pdf':<40} {'pdf KB':>8} {'CPU ms':>8} {'max ms':>8} {'WebP B':>8}  size")
    for name, r in rows.items():
        print(
            f"{name[:40]:<40} {r['pdf_bytes'] / 1024:>8.0f} {r['cpu_s'] * 1000:>8.1f} "
            f"{r['cpu_s_max'] * 1000:>8.1f} {r['webp_bytes']:>8,}  {r['size'][0]}×{r['size'][1]}"
        )
    worst_cpu = max(r["cpu_s_max"] for r in rows.values())
    worst_bytes = max(r["webp_bytes"] for r in rows.values())
    per_paper = isolated["child_cpu_s"] / isolated["papers"]
    print(
        f"\nworst: {worst_cpu * 1000:.0f} ms CPU (budget {CPU_BUDGET * 1000:.0f}), "
        f"{worst_bytes:,} B (budget {BYTES_BUDGET:,})"
    )
    print(
        f"isolated child, {isolated['papers']} PDFs: {isolated['child_cpu_s']:.2f} s CPU with its "
        f"start-up ({per_paper * 1000:.0f} ms per paper), {isolated['wall_s']:.2f} s wall; "
        f"in-process renders of the same: {in_process_total:.2f} s "
        f"(ratio {isolated['child_cpu_s'] / in_process_total:.1f}×)"
    )
    RESULTS.write_text(
        json.dumps(
            {
                "machine": {"platform": platform.platform(), "python": platform.python_version()},
                "repeats": args.repeats,
                "budget": {"cpu_s": CPU_BUDGET, "webp_bytes": BYTES_BUDGET},
                "pdfs": rows,
                "worst": {"cpu_s": worst_cpu, "webp_bytes": worst_bytes},
                "within_budget": worst_cpu <= CPU_BUDGET and worst_bytes <= BYTES_BUDGET,
                "isolated": {**isolated, "child_cpu_s_per_paper": per_paper},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":  # the renderer's child process imports this module too
    main()
