"""Response headers every page gets (a small after_request instead of Flask-Talisman: Firegrid needs
five fixed headers and one exception for its own preview frame, not HTTPS redirects or nonces), and
the client address behind a configured number of reverse proxies (ProxyFix)."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline script anywhere (the page scripts live in static/app.js); style attributes stay allowed
# (the grid tree indents by a CSS variable).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"
)
# Pages shown in a frame of Firegrid's own task page.
FRAMED_ENDPOINTS = {"previews.viewer", "previews.page"}


def security_headers(response: Response) -> Response:
    framed = request.endpoint in FRAMED_ENDPOINTS
    response.headers.setdefault(
        "Content-Security-Policy", CONTENT_SECURITY_POLICY.format(ancestors="'self'" if framed else "'none'"))
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN" if framed else "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Shared office PCs: nothing a signed-in user saw or downloaded stays in the browser's cache.
    download = "attachment" in response.headers.get("Content-Disposition", "")
    if request.endpoint != "static" and (download or current_user.is_authenticated):
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def install(app: Flask) -> None:
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.after_request(security_headers)
