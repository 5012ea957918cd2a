"""Issue 14 item 8: on a 390 px phone, stacked tables keep their column captions (data-label set from
the header, shown by CSS before each cell) — 签订率, 议定事项, 宣传培训台账 and every other stacked table."""

from __future__ import annotations

import re

import pytest

from tests.browser.support import check_page

pytest.importorskip("playwright.sync_api", reason="the `playwright` Python package is not installed")

# For each visible cell of a stacked table: its CSS caption (the ::before content) and the column header.
CAPTIONS = """() => [...document.querySelectorAll('table.stack')].flatMap(table => {
  const headers = [...table.querySelectorAll('thead th')].map(th => th.textContent.trim());
  return [...table.querySelectorAll('tbody tr')].filter(tr => tr.offsetParent !== null)
    .flatMap(tr => [...tr.children].filter(td => td.tagName === 'TD' && !td.hasAttribute('colspan'))
      .map((td, i) => ({header: headers[i] || '', caption: getComputedStyle(td, '::before').content,
                        label: td.getAttribute('data-label') || '',
                        headVisible: table.querySelector('thead').offsetParent !== null})));
})"""


def captions_on(page, path: str, name: str) -> list[dict]:  # noqa: ANN001
    page.goto(path)
    check_page(page, name)
    cells = page.evaluate(CAPTIONS)
    assert cells, f"{path}: no rows in a stacked table"
    return cells


def assert_every_cell_captioned(cells: list[dict], path: str) -> None:
    assert not any(c["headVisible"] for c in cells), f"{path}: the header row should be hidden on a phone"
    # the computed ::before content, e.g. `"签订率："`: the cell's data-label is its column header
    shown = [(c["header"], c["label"], re.sub(r'["\s]', "", c["caption"])) for c in cells if c["header"]]
    missing = [header for header, label, caption in shown if label != header or caption != f"{header}："]
    assert not missing, f"{path}: cells without their column caption: {sorted(set(missing))}"


@pytest.mark.slow
def test_stacked_tables_keep_their_captions_on_a_phone(log_in, history_server):  # noqa: ANN001
    page = log_in("clerk", server=history_server)
    page.goto("/letters/")
    page.get_by_role("link", name="签订率").first.click()
    dashboard = page.url.removeprefix(history_server.url)
    for path, name in [(dashboard, "14-phone-signing-rates"), ("/meetings/decisions", "14-phone-decisions"),
                       ("/evaluation/publicity", "14-phone-publicity"), ("/units/", "14-phone-units")]:
        assert_every_cell_captioned(captions_on(page, path, name), path)
