import logging

from flask import Blueprint, jsonify
from sqlalchemy import text

from webapp.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not healthy"; the details go to the log, not the public
        log.exception("health check: database unreachable")
        return jsonify(status="error", detail="数据库无法连接"), 503
    return jsonify(status="ok")
