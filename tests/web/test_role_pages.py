"""What a user is offered works: every link and form reachable from home answers without 403."""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest
from sqlalchemy import func, select

from webapp.demo.organisation import DEMO_USERS
from webapp.models import AuditEvent

LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
FORM = re.compile(r'<form\b([^>]*)>')
ATTR = re.compile(r'(\w+)="([^"]*)"')
# Logging out ends the crawl's session; downloads and files are not pages that offer more links.
SKIP = ("/logout", "/static/")


def _local(url: str) -> str | None:
    url = urldefrag(unescape(url))[0]
    parts = urlsplit(url)
    if parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _targets(html: str, current: str) -> tuple[list[str], list[str]]:
    links = [u for u in (_local(h) for h in LINK.findall(html)) if u]
    posts = []
    for attrs in FORM.findall(html):
        fields = dict(ATTR.findall(attrs))
        action = _local(fields.get("action") or current)
        if action is None:
            continue
        (posts if fields.get("method", "get").lower() == "post" else links).append(action)
    return links, posts


def _shape(url: str) -> str:
    """Pages differing only in parameter values or ids (year, page, unit 7 / unit 8) are one page."""
    parts = urlsplit(url)
    names = sorted(name for name, _ in parse_qsl(parts.query))
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(names)


def crawl(visitor, start: str = "/", limit: int = 300) -> dict[str, int]:
    """GET every page reachable from `start`; POST each form once with only its token (a refusal would
    answer 403 before any validation). Returns status per method and URL."""
    statuses: dict[str, int] = {}
    queue, seen = deque([start]), {_shape(start)}
    while queue and len(statuses) < limit:
        url = queue.popleft()
        response = visitor.get(url)
        statuses[f"GET {url}"] = response.status_code
        if response.mimetype != "text/html":
            continue
        links, posts = _targets(response.get_data(as_text=True), url)
        for post in posts:
            if f"POST {_shape(post)}" not in seen:
                seen.add(f"POST {_shape(post)}")
                statuses[f"POST {post}"] = visitor.post(post, {}).status_code
        for link in links:
            if _shape(link) not in seen:
                seen.add(_shape(link))
                queue.append(link)
    return statuses


def _play_town_cases(app, session) -> None:
    """Town meetings with minutes and a town campaign with a letter per village: a village user's pages
    list them, and the town's cases lie outside the village's scope."""
    from webapp.cases import registry
    from webapp.cases.registry import DemoContext

    clock = app.extensions["firegrid.clock"]
    today = clock.now()
    for key in ("meeting", "responsibility_letters"):
        registry.get(key).play_demo_history(DemoContext(
            session=session, services=app.extensions["firegrid.runtime"], clock=clock, year=today.year, today=today))
    session.commit()
    clock.set(None)


@pytest.mark.slow
def test_no_role_is_offered_a_page_or_button_that_refuses(app, session, login_as, without_libreoffice):
    """Every demo account (one per role, and a village clerk and inspector), from its home page."""
    # Without LibreOffice (a PDF link answers 503 at once instead of converting): a refusal comes before any
    # conversion, and the PDF routes convert for real in their own tests
    _play_town_cases(app, session)
    before = _denied(session)
    refused, crawled = {}, {}
    # inspector2 is inspector's twin; the county's accounts and the second town's admin as well
    for username in [*sorted({u[0] for u in DEMO_USERS} - {"inspector2"}), "county", "county_admin", "admin_liutang"]:
        statuses = crawl(login_as(username))
        crawled[username] = len(statuses)
        refused[username] = sorted(url for url, status in statuses.items() if status == 403)
    assert refused == {username: [] for username in refused}
    assert min(crawled.values()) > 5, crawled
    assert _denied(session) == before


def _denied(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "access_denied"))
