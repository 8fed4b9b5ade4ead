"""The site header and anchors in a real Chromium, on the demo as `papertide demo` starts it
(the server and Ada's sign-in by the printed link are those of test_demo_journeys).

The header is sticky, so it must stay small and tidy: one row on a 1280px desktop, two compact
rows on a 390px phone with no word broken over two lines. Anchors (`#suggested`, a suggested
paper's row `#s-ID`, where Submit returns to) must land below it, not under it, on both; and the
confirmation after Submit shows in that row, in view.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from tests.e2e.test_demo_journeys import (  # noqa: F401
    DESKTOP,
    PHONE,
    Demo,
    ada,
    ada_tab,
    day_with_a_paper_to_submit,
    demo,
)

pytestmark = pytest.mark.browser

# Every item of the header, each with the number of lines it takes and its box.
HEADER_ITEMS = """() => {
  const items = [...document.querySelectorAll(
    'header.site .brand, header.site .links a, header.site .account a, ' +
    'header.site .account button, header.site .top-search')];
  return items.filter(e => e.getClientRects().length > 0).map(e => {
    const box = e.getBoundingClientRect();
    const style = getComputedStyle(e);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6;
    return {text: e.textContent.trim(), top: box.top, bottom: box.bottom, left: box.left,
            right: box.right, height: box.height, lines: Math.round(box.height / line),
            search: e.classList.contains('top-search')};
  });
}"""


def _header(tab: Any) -> tuple[dict[str, float], list[dict[str, Any]]]:
    box = tab.locator("header.site").bounding_box()
    assert box is not None
    return box, tab.evaluate(HEADER_ITEMS)


def _rows(items: list[dict[str, Any]]) -> int:
    """How many rows the items make: those whose vertical middles are within 12px share one."""
    middles = sorted((i["top"] + i["bottom"]) / 2 for i in items)
    return 1 + sum(1 for a, b in pairwise(middles) if b - a > 12)


def test_signed_in_header_is_one_row_on_a_desktop_and_two_compact_rows_on_a_phone(
    ada: Any,  # noqa: F811
) -> None:
    ada.set_viewport_size(DESKTOP)
    ada.goto("/recommendations")
    box, items = _header(ada)
    texts = [i["text"] for i in items]
    assert "For you" in texts and "Collections" in texts and "Sign out" in texts, texts
    assert _rows(items) == 1, items
    assert box["height"] < 70, box
    assert all(i["lines"] == 1 for i in items if not i["search"]), items

    ada.set_viewport_size(PHONE)
    ada.goto("/recommendations")
    box, items = _header(ada)
    assert _rows(items) == 2, items
    assert box["height"] < 100, box
    broken = [i["text"] for i in items if not i["search"] and i["lines"] != 1]
    assert not broken, f"broken over lines on a phone: {broken}"
    outside = [i["text"] for i in items if i["right"] > PHONE["width"] or i["left"] < 0]
    assert not outside, f"cut off on a phone: {outside}"  # "For you" is reachable at once
    assert ada.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ada.set_viewport_size(DESKTOP)


def _below_header(tab: Any, selector: str) -> tuple[float, float]:
    """(header bottom, top of `selector`) in the viewport, after the browser scrolled."""
    header = tab.locator("header.site").bounding_box()
    target = tab.locator(selector).bounding_box()
    assert header is not None and target is not None, selector
    return header["y"] + header["height"], target["y"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_anchors_land_below_the_sticky_header(
    ada: Any,  # noqa: F811
    demo: Demo,  # noqa: F811
    viewport: dict[str, int],
) -> None:
    ada.set_viewport_size(viewport)
    ada.goto(f"/papers/date/{demo.settings.demo_today}#suggested")
    bottom, top = _below_header(ada, "#suggested")
    assert ada.evaluate("window.scrollY") > 0  # it did scroll
    assert bottom <= top <= bottom + 30, (bottom, top)  # just below the header
    assert _below_header(ada, "#suggested-h")[1] >= bottom  # its heading in view
    row = ada.locator("#suggested li.suggestion").nth(2).get_attribute("id")
    ada.goto(f"/papers/date/{demo.settings.demo_today}#{row}")
    bottom, top = _below_header(ada, f'[id="{row}"]')
    assert bottom <= top <= bottom + 30, (bottom, top)
    ada.set_viewport_size(DESKTOP)


def test_submit_from_the_suggested_list_confirms_in_the_row_in_view_on_a_phone(
    ada: Any,  # noqa: F811
    demo: Demo,  # noqa: F811
) -> None:
    ada.set_viewport_size(PHONE)
    ada.goto(f"/papers/date/{day_with_a_paper_to_submit(demo)}")
    form = ada.locator("#suggested form.suggest-submit").first
    arxiv_id = form.locator('input[name="paper"]').get_attribute("value")
    form.locator("button").click()
    ada.wait_for_url(f"**#s-{arxiv_id}")
    row = f'[id="s-{arxiv_id}"]'
    note = ada.locator(f"{row} .row-note")
    assert note.inner_text() == f"Submitted {arxiv_id} to today's feed."
    assert ada.locator("body > .flash").count() == 0  # not at the top, out of sight
    bottom, top = _below_header(ada, row)
    assert bottom <= top, (bottom, top)
    box = note.bounding_box()
    assert box is not None and bottom <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    ada.set_viewport_size(DESKTOP)
