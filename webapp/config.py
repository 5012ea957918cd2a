"""Every setting once, with its default. Environment variables are named FIREGRID_*."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled_or_source(name: str, source_name: str) -> Path:
    """Installed wheels carry data under webapp/bundled/; a source checkout has it at the top."""
    bundled = PACKAGE_DIR / "bundled" / name
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / source_name


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(data_dir: Path, create: bool) -> str | None:
    """FIREGRID_SECRET_KEY, else a key generated once and kept in the data dir (None when read-only
    and no key exists yet: a read-only command serves no sessions)."""
    if os.environ.get("FIREGRID_SECRET_KEY"):
        return os.environ["FIREGRID_SECRET_KEY"]
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        if not create:
            return None
        data_dir.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _paths(env: Mapping[str, str], overrides: dict[str, Any]) -> dict[str, Any]:
    """Where documents, uploads, the SQLite file and the secret key live; the database; workflows; templates."""
    data_dir = Path(overrides.get("DATA_DIR") or env.get("FIREGRID_DATA_DIR", "instance")).resolve()
    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get(
        "FIREGRID_DATABASE_URL", f"sqlite:///{data_dir / 'firegrid.db'}"
    )
    return {
        "DATA_DIR": data_dir,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WORKFLOWS_DIR": Path(env.get("FIREGRID_WORKFLOWS_DIR") or _bundled_or_source("workflows", "workflows")),
        # where stored files' bytes live: "local" (a folder in the data dir) or "database" (chunks in the
        # database, so several app hosts share nothing but the database); `firegrid files migrate` moves them
        "FILE_STORE": env.get("FIREGRID_FILE_STORE", "local").strip().lower() or "local",
        "TEMPLATES_DIR": Path(
            env.get("FIREGRID_TEMPLATES_DIR") or _bundled_or_source("doc_templates", "doc_templates")
        ),
    }


def _web(env: Mapping[str, str]) -> dict[str, Any]:
    """Cookies, logins, uploads, paging and the timer loop."""
    secure = env.get("FIREGRID_SECURE_COOKIES", "0") == "1"
    return {
        # office PCs often serve plain HTTP on the LAN; set FIREGRID_SECURE_COOKIES=1 behind HTTPS
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # failed logins before an account is locked, and for how long
        "LOGIN_MAX_FAILURES": int(env.get("FIREGRID_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCK_MINUTES": int(env.get("FIREGRID_LOGIN_LOCK_MINUTES", "15")),
        # failed logins from one client address within the window before it must wait (0 = no limit)
        "LOGIN_ADDRESS_MAX_FAILURES": int(env.get("FIREGRID_LOGIN_ADDRESS_MAX_FAILURES", "20")),
        "LOGIN_ADDRESS_WINDOW_MINUTES": int(env.get("FIREGRID_LOGIN_ADDRESS_WINDOW_MINUTES", "15")),
        # a session ends after this long without a request, and this long after login whatever happens
        "SESSION_IDLE_MINUTES": int(env.get("FIREGRID_SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(env.get("FIREGRID_SESSION_MAX_HOURS", "12")),
        # 保持登录 (remember me) lasts this many days from its last use (0 hides the option)
        "REMEMBER_DAYS": int(env.get("FIREGRID_REMEMBER_DAYS", "7")),
        # reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0 = none)
        "PROXY_COUNT": int(env.get("FIREGRID_PROXY_COUNT", "0")),
        # waitress: open connections accepted at once, and seconds before an idle one is closed
        "SERVER_CONNECTION_LIMIT": int(env.get("FIREGRID_CONNECTION_LIMIT", "1000")),
        "SERVER_CHANNEL_TIMEOUT": int(env.get("FIREGRID_CHANNEL_TIMEOUT", "30")),
        # uploads (photos, signed scans, attachments)
        "MAX_CONTENT_LENGTH": int(env.get("FIREGRID_MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        # 单位自助链接 (no account): what one notice's link accepts a day, so a leaked link cannot fill the store
        "UNIT_LINK_DAILY_FILES": int(env.get("FIREGRID_UNIT_LINK_DAILY_FILES", "20")),
        "UNIT_LINK_DAILY_MB": int(env.get("FIREGRID_UNIT_LINK_DAILY_MB", "50")),
        "UNITS_PER_PAGE": 25,
        # 一户一码: the HTTPS address people reach the app at, e.g. https://firegrid.example.gov.cn; the QR codes
        # on unit labels encode <this>/u/<code>. Unset: the address of the current request (print after setting it)
        "PUBLIC_URL": env.get("FIREGRID_PUBLIC_URL", "").strip().rstrip("/"),
        # label sheets of more units than this are made by a background job (~1.3 s per 100 labels)
        "UNIT_LABELS_SYNC_LIMIT": int(env.get("FIREGRID_UNIT_LABELS_SYNC_LIMIT", "100")),
        "WARNING_SIGNS_SYNC_LIMIT": int(env.get("FIREGRID_WARNING_SIGNS_SYNC_LIMIT", "30")),
        # seconds between timer sweeps of the in-process loop in `firegrid serve`
        "TIMER_INTERVAL_SECONDS": int(env.get("FIREGRID_TIMER_INTERVAL", "60")),
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_AS_ASCII": False,
        # WTForms' built-in messages come from the forms' own Chinese locale (forms.common.ChineseForm).
        "WTF_I18N_ENABLED": False,
        # render → PDF → layout verifier → adjust on every issued document (needs LibreOffice; ~1.5 s each)
        "LAYOUT_CHECK": env.get("FIREGRID_LAYOUT_CHECK", "1") == "1",
        # a background job makes and stores the PDF/A of every issued document right after issuing
        "PDF_AFTER_ISSUE": env.get("FIREGRID_PDF_AFTER_ISSUE", "1") == "1",
        # LibreOffice listeners per app process (~250 MB each): a batch (PDF/A job, binder, archive, 一户一档)
        # converts on all of them at once, a single PDF on one; more than the cores gains nothing
        "PDF_LISTENERS": int(env.get("FIREGRID_PDF_LISTENERS", str(min(2, os.cpu_count() or 1)))),
        # `firegrid serve` starts the listeners when it starts, so no PDF waits ~2 s for LibreOffice's start
        "PDF_START_EARLY": env.get("FIREGRID_PDF_START_EARLY", "1") == "1",
    }


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from the environment, then apply overrides (tests use these)."""
    overrides = overrides or {}
    settings: dict[str, Any] = {**_paths(os.environ, overrides), **_web(os.environ)}
    settings.update(overrides)
    # READ_ONLY (set by read-only CLI commands such as `check`): create no data dir and no secret key.
    settings.setdefault("READ_ONLY", False)
    settings["DATA_DIR"] = Path(settings["DATA_DIR"])
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Writers queue for the file lock instead of failing at once when two requests write together.
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {**settings["SQLALCHEMY_ENGINE_OPTIONS"],
                                                 "connect_args": {"timeout": 30}}
    if "SECRET_KEY" not in settings:
        settings["SECRET_KEY"] = _secret_key(settings["DATA_DIR"], create=not settings.get("READ_ONLY"))
    return settings
