"""Generated avatars: a symmetric 5×5 identicon from the user id, as a small SVG.

No external service and nothing stored: the same id always gives the same picture, on every
node. The id is hashed (not the email), so the picture says nothing about the address.
"""

from __future__ import annotations

import hashlib
import html

GRID = 5


def _digest(user_id: int) -> bytes:
    return hashlib.sha256(f"papertide.avatar:{int(user_id)}".encode()).digest()


def avatar_cells(user_id: int) -> list[tuple[int, int]]:
    """The filled (column, row) cells: the left three columns from the hash, mirrored."""
    bits = int.from_bytes(_digest(user_id)[:4], "big")
    cells = []
    for row in range(GRID):
        for col in range(3):
            if bits >> (row * 3 + col) & 1:
                cells.append((col, row))
                if col < 2:
                    cells.append((GRID - 1 - col, row))
    if not cells:  # an empty face would look like a missing image
        cells = [(2, 2)]
    return sorted(cells)


def avatar_colour(user_id: int) -> tuple[str, str]:
    """(foreground, background) as CSS hsl(): one hue per person, readable on light and dark."""
    digest = _digest(user_id)
    hue = int.from_bytes(digest[4:6], "big") % 360
    return f"hsl({hue} 55% 45%)", f"hsl({hue} 45% 92%)"


def avatar_svg(user_id: int, label: str = "") -> str:
    """The avatar as an SVG document (square, scales to any size)."""
    fg, bg = avatar_colour(user_id)
    rects = "".join(
        f'<rect x="{c + 1}" y="{r + 1}" width="1" height="1"/>' for c, r in avatar_cells(user_id)
    )
    title = f"<title>{html.escape(label)}</title>" if label else ""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" width="64" height="64" '
        f'shape-rendering="crispEdges" role="img">{title}'
        f'<rect width="7" height="7" fill="{bg}"/><g fill="{fg}">{rects}</g></svg>'
    )
