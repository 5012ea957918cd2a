"""Security headers: a CSP without inline script (and no inline script or handler in any template),
no framing, no caching of what a signed-in user sees, no server banner from the app."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "webapp" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)


def test_no_template_has_inline_script_or_handlers():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def test_pages_carry_the_policy_and_signed_in_pages_are_not_cached(sign_in, small_town, browser):
    login_page = browser.get("/login")
    policy = login_page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert login_page.headers["X-Content-Type-Options"] == "nosniff"
    assert login_page.headers["Referrer-Policy"] == "same-origin"
    assert login_page.headers["X-Frame-Options"] == "DENY"
    assert "Server" not in login_page.headers

    clerk = sign_in("clerk")
    page = clerk.get("/units/")
    assert page.headers["Cache-Control"] == "no-store"
    download = clerk.get("/units/export.xlsx")
    assert download.headers["Cache-Control"] == "no-store" and "attachment" in download.headers["Content-Disposition"]
    script = clerk.get("/static/app.js")
    assert script.status_code == 200 and "no-store" not in script.headers.get("Cache-Control", "")
    script.close()
