"""Acceptance: no English word or internal code on any page a non-admin demo user can reach.

The demo with this year's history (every procedure played through the real services) is loaded once;
then each non-admin demo role follows every same-site link it is shown, from the home page on, and the
visible text of each page (tags, scripts, styles and attribute values removed) may hold no ASCII word
except a few that Chinese offices use as they are (PDF, DOCX, Excel …).
"""

from __future__ import annotations

import re
from collections import Counter, deque
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from flask import Flask

from tests.conftest import Browser, clean_tables
from webapp.clock import TZ
from webapp.demo import history as demo_history
from webapp.demo import organisation as demo_service
from webapp.extensions import db

ROLES = ["clerk", "office_head", "leader", "archivist", "inspector", "clerk_shiqiao", "inspector_shiqiao"]
# December: the year-end evaluation is played too, so its pages exist.
MOMENT = datetime(2026, 12, 3, 10, 0, tzinfo=TZ)
ALLOWED = {"Excel",
           # 档号 parts fixed by the archival standard (文书 category code, default organ code, shown with its organ)
           "WS", "BGS"}
# File types, in any case: "PDF" in a caption, ".pdf" ending an uploaded file's name.
FILE_TYPES = {"PDF", "DOCX", "XLSX", "ZIP", "JPG", "JPEG", "PNG", "OFD"}  # OFD: the national 版式 format (GB/T 33190)
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
# Files and machine endpoints are not pages; logging out would end the crawl.
SKIP = re.compile(r"(\.(docx|pdf|xlsx|zip|[a-z]+\.[a-z]+)$|\.<ext>|/files/|/scan$|/file$|/progress$|^/static/"
                  r"|^/logout|^/healthz|/combined\.)")
PAGES_PER_ROLE = 250
# Pages of one kind (same path once numbers are blanked) differ little, except tasks and cases, whose
# form and summary depend on the step and the procedure.
PER_KIND = {"/tasks/#": 80, "/cases/#": 40}
DEFAULT_PER_KIND = 3


class VisibleText(HTMLParser):
    """The text a reader sees: character data outside script/style/template; attributes are ignored."""

    # <code> holds machine text shown exactly as it is printed or typed: a unit's 单位码 and the address its
    # QR code opens, a one-time password.
    HIDDEN = {"script", "style", "template", "noscript", "code"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self._hidden_depth += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def _kind(url: str) -> str:
    return re.sub(r"\d+", "#", urlsplit(url).path)


def _same_site(href: str) -> str | None:
    url, _fragment = urldefrag(href)
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or SKIP.search(parts.path):
        return None
    return url


def english_words(html: str) -> tuple[dict[str, str], list[str]]:
    """{offending word: the text around its first occurrence}, and the page's links."""
    page = VisibleText()
    page.feed(html)
    text = re.sub(r"\s+", " ", " ".join(page.parts))
    words = {}
    for match in ASCII_WORD.finditer(text):
        if match.group() not in ALLOWED and match.group().upper() not in FILE_TYPES:
            words.setdefault(match.group(), text[max(0, match.start() - 12):match.end() + 12])
    return words, page.links


def crawl(visitor: Browser) -> tuple[dict[str, dict[str, str]], int]:
    """Breadth-first over the links the user is shown; {url: offending words} and the number of pages."""
    queue, seen, per_kind = deque(["/"]), {"/"}, Counter()
    leaks: dict[str, dict[str, str]] = {}
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        url = queue.popleft()
        response = visitor.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        visited += 1
        words, links = english_words(response.get_data(as_text=True))
        if words:
            leaks[url] = words
        for link in filter(None, map(_same_site, links)):
            kind = _kind(link)
            if link not in seen and per_kind[kind] < PER_KIND.get(kind, DEFAULT_PER_KIND):
                seen.add(link)
                per_kind[kind] += 1
                queue.append(link)
    return leaks, visited


@pytest.fixture(scope="module")
def history_year(app: Flask):
    """The demo and its year of activity up to early December, loaded once for every role's crawl."""
    clock = app.extensions["firegrid.clock"]
    with app.app_context():
        clean_tables()
        demo_service.load_demo(db.session, now=MOMENT)
        db.session.commit()
        demo_history.play(db.session, app.extensions["firegrid.runtime"], clock, MOMENT)
        db.session.remove()
    clock.set(MOMENT)
    yield
    clock.set(None)


def test_visible_text_ignores_markup_and_finds_words():
    html = ('<p title="English">办理 <b>access_denied</b></p><script>var x = "code";</script>'
            '<style>p{color:red}</style><a href="/units/1">导出PDF</a>回执.pdf')
    words, links = english_words(html)
    assert set(words) == {"access", "denied"} and "办理 access_denied" in words["access"]
    assert links == ["/units/1"]


@pytest.mark.slow
def test_login_page_is_chinese(app: Flask, history_year):
    words, _links = english_words(Browser(app.test_client()).get("/login").get_data(as_text=True))
    assert words == {}


@pytest.mark.slow
@pytest.mark.parametrize("username", ROLES)
def test_no_english_on_any_page_the_role_reaches(app: Flask, history_year, username: str):
    visitor = Browser(app.test_client())
    visitor.login(username)
    leaks, visited = crawl(visitor)
    assert visited >= 10, f"{username}: only {visited} pages reached"
    report = "\n".join(f"  {url}: " + "; ".join(f"{word} (…{around}…)" for word, around in sorted(words.items()))
                       for url, words in sorted(leaks.items()))
    assert not leaks, f"{username}: English words or codes on {len(leaks)} of {visited} pages:\n{report}"
