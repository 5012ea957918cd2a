"""What every visited page must satisfy, and small helpers the browser scenarios share."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

PHONE = {"width": 390, "height": 844}
PASSWORD = "firegrid-demo"  # every demo account's
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Visible form controls (not hidden inputs or buttons) with no accessible name from a label or aria-label.
UNLABELLED_FIELDS = """() => {
  const shown = el => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
                        return s.visibility !== 'hidden' && s.display !== 'none' && (r.width > 0 || r.height > 0); };
  const named = el => (el.labels && [...el.labels].some(l => l.textContent.trim()))
                      || (el.getAttribute('aria-label') || '').trim()
                      || (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some(id => {
                           const t = id && document.getElementById(id); return t && t.textContent.trim(); });
  return [...document.querySelectorAll('input, select, textarea')]
    .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
    .filter(el => shown(el) && !named(el))
    .map(el => el.outerHTML.slice(0, 160));
}"""

# <label for=X> whose X is missing or not a form control: a caption that names nothing.
DANGLING_LABELS = """() => [...document.querySelectorAll('label[for]')]
  .filter(l => { const t = document.getElementById(l.htmlFor);
                 return !t || !['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON', 'METER', 'OUTPUT', 'PROGRESS']
                                .includes(t.tagName); })
  .map(l => l.outerHTML.slice(0, 160))"""

# Visible labels in English words leak field names (e.g. "Unit Name") into the Chinese UI; codes such
# as "BGS" are data and pass.
ENGLISH_LABELS = """() => [...document.querySelectorAll('label, legend')]
  .filter(l => l.offsetParent !== null && /^[A-Za-z ]*[a-z][A-Za-z ]*$/.test(l.textContent.trim()))
  .map(l => l.outerHTML.slice(0, 160))"""


def check_page(page, name: str) -> None:  # noqa: ANN001
    """Screenshot the page and assert the basics: labelled fields, Chinese labels, no sideways scroll on a phone."""
    page.wait_for_load_state("load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    where = f"{name} ({page.url})"
    assert page.evaluate(UNLABELLED_FIELDS) == [], f"{where}: form fields without a label"
    assert page.evaluate(DANGLING_LABELS) == [], f"{where}: labels that name no form field"
    assert page.evaluate(ENGLISH_LABELS) == [], f"{where}: labels not in Chinese"
    if page.viewport_size and page.viewport_size["width"] == PHONE["width"]:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{where}: {width}px wide, needs horizontal scrolling on a 390px phone"


def field_error(page, label: str):  # noqa: ANN001, ANN201
    """The error shown inside the same .field block as the control labelled `label`."""
    return page.locator(".field", has=page.get_by_label(label, exact=True)).get_by_role("alert")


def follow_menu(page, label: str):  # noqa: ANN001, ANN201
    """Follow a main-menu entry as a user would: on a phone the menu first opens behind 菜单. An entry's
    name may go on with its badge (待办 3项)."""
    page.wait_for_load_state()  # a menu looked at during a navigation would be the old page's
    toggle = page.locator("#menu-toggle")
    if page.locator("label.menu-button").is_visible() and not toggle.is_checked():
        page.locator("label.menu-button").click()
    link = page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name=re.compile(rf"^{re.escape(label)}(\s|$)"))
    # Wait for the new page: a count of rows read at once after the click could read the old page's
    with page.expect_navigation():
        link.click()
    return page


def open_inbox(page):  # noqa: ANN001, ANN201
    return follow_menu(page, "待办")


def inbox_row(page, step: str):  # noqa: ANN001, ANN201
    """Rows of the inbox (or 已办) whose step cell is `step`, possibly tagged 被退回 and 指定给我; on a phone a cell's
    accessible name may start with its column caption (CSS generated content, e.g. "步骤：")."""
    cell = page.get_by_role("cell", name=re.compile(rf"^(步骤：)?{re.escape(step)}(\s+被退回)?(\s+指定给我)?$"))
    return page.get_by_role("row").filter(has=cell)


def open_task(page, step: str, case_text: str = ""):  # noqa: ANN001, ANN201
    """From the inbox (待办), open the row of `step` (in the case whose title contains `case_text`)."""
    open_inbox(page)
    row = inbox_row(page, step)
    if case_text:
        row = row.filter(has_text=case_text)
    # Wait for the task page: its fields counted at once after the click could be the inbox's (none)
    with page.expect_navigation():
        row.first.get_by_role("link").click()
    return page


def png(width: int = 8, height: int = 6) -> bytes:
    """A small valid PNG (solid red), built without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xc8\x10\x2e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a DOCX, body and headers, one per line."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [c.text for t in document.tables for r in t.rows for c in r.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


NUMBER = re.compile(r"〔(\d{4})〕")


def read_preview(page, data_dir: Path) -> str:  # noqa: ANN001
    """The 文件预览 of a task page: waits until its first page images have loaded (naturalWidth > 0) and
    returns the text of the PDF the server rendered them from (in its preview cache, by the DOCX's hash)."""
    from pypdf import PdfReader

    frame = page.locator("iframe.doc-frame").first.element_handle().content_frame()
    frame.wait_for_url(re.compile(r"/previews/[0-9a-f]{64}"), timeout=60_000)  # LibreOffice lays it out first
    frame.wait_for_function("() => document.images.length > 0 && [...document.images].slice(0, 2)"
                            ".every(img => img.complete && img.naturalWidth > 0)")
    assert frame.locator("img.doc-page").first.get_attribute("alt").startswith("第1页")
    sha256 = re.search(r"/previews/([0-9a-f]{64})", frame.url).group(1)
    pdf = PdfReader(data_dir / "preview-cache" / f"{sha256}.pdf")
    assert len(pdf.pages) == frame.locator("img.doc-page").count()
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in pdf.pages))


def phone_page(chromium, server, username: str | None, viewport: dict | None = None):  # noqa: ANN001, ANN201
    """A Playwright page in a new browser context (390 × 844 unless `viewport` says otherwise), logged in as
    the demo account `username`, or on the login page when `username` is None. The caller closes its context."""
    context = chromium.new_context(viewport=viewport or PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   accept_downloads=True, base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    if username is None:
        return page
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")
    return page
