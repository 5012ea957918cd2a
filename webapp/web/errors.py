"""One place maps domain errors and HTTP errors to Chinese pages; refusals are audited."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from webapp.extensions import db
from webapp.services import audit
from webapp.services.errors import DomainError, OutOfScope
from webapp.web.common import client_address, now

log = logging.getLogger(__name__)

HTTP_MESSAGES = {
    400: "请求无效。",
    403: "您无权访问该页面。",
    404: "页面不存在。",
    405: "不支持该操作。",
    409: "操作冲突。",
    413: "上传的文件太大。",
    500: "服务器内部错误，请稍后再试或联系管理员。",
}


def _page(status: int, message: str):
    return render_template("errors/error.html", status=status, message=message), status


def _audit_refusal(message: str) -> None:
    """Roll back whatever the request did, then record the refusal in its own commit."""
    db.session.rollback()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    audit.record(
        db.session, at=now(), user=user, action="access_denied", object_type="url",
        object_id=request.path[:50], summary=f"{request.method} {request.path}: {message}",
        remote_addr=client_address(),
    )
    db.session.commit()
    log.warning("access denied: user=%s %s %s", getattr(user, "username", "-"), request.method, request.path)


def register_error_handlers(app: Flask) -> None:
    @app.teardown_request
    def rollback_uncommitted(error: BaseException | None) -> None:
        """A request that did not commit leaves nothing behind: rows, numbers, or stored files."""
        db.session.rollback()

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        if isinstance(error, OutOfScope):
            _audit_refusal(error.message)
        else:
            db.session.rollback()
        return _page(error.http_status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return _page(400, "表单已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(403)
    def forbidden(error: Exception):
        _audit_refusal(HTTP_MESSAGES[403])
        return _page(403, HTTP_MESSAGES[403])

    @app.errorhandler(413)
    def too_large(error: Exception):
        limit = app.config["MAX_CONTENT_LENGTH"] / 1024 / 1024
        return _page(413, f"{HTTP_MESSAGES[413]}一次提交的文件合计不能超过{limit:g}MB。")

    @app.errorhandler(500)
    def server_error(error: Exception):
        db.session.rollback()  # an error mid-flush leaves the session unusable, and the page's menu reads it
        try:
            return _page(500, HTTP_MESSAGES[500])
        except Exception:  # the database is gone too (the menu reads the user): a page without the menu
            log.exception("the error page itself failed")
            return f"<!doctype html><meta charset=utf-8><title>500</title><p>{HTTP_MESSAGES[500]}</p>", 500

    for status, message in HTTP_MESSAGES.items():
        if status not in (403, 413, 500):
            app.register_error_handler(status, lambda error, s=status, m=message: _page(s, m))
