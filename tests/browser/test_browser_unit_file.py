"""一户一档 on a 390 px phone: a unit of the demo year with a long file reads without sideways scrolling,
its entries newest first, its photo thumbnails load, and its links are big enough to tap."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import check_page

TAP_TARGETS = """() => [...document.querySelectorAll('#unit-file a')]
  .map(a => a.getBoundingClientRect()).filter(r => r.width > 0 && (r.width < 44 || r.height < 44)).length"""
# Thumbnails load lazily: each is scrolled into view and decoded (a broken one rejects).
BROKEN_IMAGES = """async () => { const broken = [];
  for (const img of document.querySelectorAll('#unit-file img')) {
    img.scrollIntoView(); await img.decode().catch(() => broken.push(img.src)); }
  return broken; }"""


@pytest.mark.slow
def test_the_unit_file_reads_on_a_phone(log_in, history_server):  # noqa: ANN001
    page = log_in("inspector", server=history_server)
    page.goto("/units/")
    links = sorted({href for href in page.locator("a[href^='/units/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))") if re.fullmatch(r"/units/\d+", href)})
    assert links
    sizes = {}
    for href in links[:20]:
        page.goto(href)
        sizes[href] = page.locator("#unit-file li").count()
    busiest = max(sizes, key=sizes.get)
    assert sizes[busiest] >= 3, sizes  # the demo year inspects units and signs their letters
    page.goto(busiest)
    check_page(page, "19-phone-unit-file")
    days = page.locator("#unit-file li time").evaluate_all("times => times.map(t => t.getAttribute('datetime'))")
    assert days == sorted(days, reverse=True)
    assert page.locator("#unit-file img").count() >= 1  # the demo year photographs its hazards
    assert page.evaluate(BROKEN_IMAGES) == []
    assert page.evaluate(TAP_TARGETS) == 0
