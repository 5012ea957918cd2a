"""Read before signing: a step's document rendered from the data being approved (or from the form
being filled), shown as page images, or as text when LibreOffice is missing.

Previews are kept in their own cache by the DOCX's SHA-256 (the same content is converted once);
they never become documents, take no number and change no case.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from webapp.cases import actions as cases
from webapp.cases.registry import StepContext
from webapp.cases.runtime import CaseRuntime
from webapp.documents.docx_text import Block, docx_blocks
from webapp.documents.pages import PagesUnavailable
from webapp.documents.pdf import PdfConversionError, PdfUnavailable
from webapp.models import User, WorkTask
from webapp.services.documents import DocumentServices
from webapp.services.errors import NotFound, OutOfScope

log = logging.getLogger(__name__)
SHA256_HEX = 64
KEEP_DAYS = 7  # a preview not asked for in a week is made again when needed; the cache must not grow forever
TEXT_ONLY = "以下为文字版预览，版式以正式文件为准。"
NO_LIBREOFFICE_NOTE = "服务器未安装 LibreOffice，无法按版式显示文件页面。" + TEXT_ONLY
NO_PAGES_NOTE = "服务器未安装 poppler-utils（PDF 页面渲染工具），无法显示文件页面。" + TEXT_ONLY
FAILED_NOTE = "文件页面生成失败。" + TEXT_ONLY


@dataclass
class StagedPreview:
    """One rendered DOCX waiting in the preview cache, with what the page calls it."""

    template_key: str
    title: str
    sha256: str


@dataclass
class PreviewPages:
    """What the preview shows: `pages` images, or (pages == 0) text blocks with a note why."""

    sha256: str
    pages: int = 0
    blocks: list[Block] = field(default_factory=list)
    note: str = ""


def has_preview(runtime: CaseRuntime, task: WorkTask) -> bool:
    """The step names a template and its procedure can build the template's context."""
    steps = runtime.specs.steps(task.instance.procedure)
    return bool(steps[task.step_key].template_keys) and cases.procedure_or_404(
        task.instance.procedure).preview_context is not None


def preview_templates(runtime: CaseRuntime, task: WorkTask, data: dict) -> list[str]:
    """The templates this step previews: of several (发文's 通知/上行文/通报), the one the data issues."""
    if not has_preview(runtime, task):
        return []
    keys = list(runtime.specs.steps(task.instance.procedure)[task.step_key].template_keys)
    procedure = cases.procedure_or_404(task.instance.procedure)
    if procedure.preview_template is not None and len(keys) > 1:
        chosen = procedure.preview_template(data)
        return [chosen] if chosen in keys else keys[:1]
    return keys


def render_step_document(session: Session, runtime: CaseRuntime, *, task: WorkTask, template_key: str,
                         data: dict, user: User, now: datetime) -> bytes:
    """The DOCX this step would issue from `data` now: no number, nothing stored."""
    procedure = cases.procedure_or_404(task.instance.procedure)
    if procedure.preview_context is None:
        raise NotFound("该步骤没有这份文件的预览。")
    context = procedure.preview_context(
        StepContext(session, task.instance, task.step_key, data, user, now, runtime), template_key)
    return runtime.documents.renderer.render(template_key, context)


def stage_step(session: Session, runtime: CaseRuntime, *, task: WorkTask, data: dict, user: User,
               now: datetime) -> list[StagedPreview]:
    """Render the step's document(s) from `data` into the preview cache."""
    docs, staged = runtime.documents, []
    for key in preview_templates(runtime, task, data):
        content = render_step_document(session, runtime, task=task, template_key=key, data=data, user=user, now=now)
        staged.append(StagedPreview(key, docs.library.spec(key).title, stage(docs, content)))
    return staged


def stage(docs: DocumentServices, content: bytes) -> str:
    """Keep a DOCX in the preview cache under its hash; returns the hash."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = _docx_path(docs, sha256)
    if path.exists():
        path.touch()  # still in use: not pruned
    else:
        _write(path, content)
        prune(docs)
    return sha256


def prune(docs: DocumentServices, keep_days: int = KEEP_DAYS) -> None:
    """Remove previews not staged for `keep_days` (by file time: this is housekeeping, not case time)."""
    cutoff = time.time() - keep_days * 86400
    for path in docs.preview_dir.glob(f"{'[0-9a-f]' * 8}*"):
        with contextlib.suppress(FileNotFoundError):  # another request pruned it first
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def pages(docs: DocumentServices, sha256: str) -> PreviewPages:
    """The staged DOCX as page images (converted once per content), else as text with the reason."""
    docx = staged_docx(docs, sha256)
    done = _pages_dir(docs, sha256)
    if not done.is_dir():
        try:
            _rasterize(docs, sha256, docx)
        except PdfUnavailable:
            return PreviewPages(sha256, blocks=docx_blocks(docx), note=NO_LIBREOFFICE_NOTE)
        except PagesUnavailable:
            return PreviewPages(sha256, blocks=docx_blocks(docx), note=NO_PAGES_NOTE)
        except (PdfConversionError, subprocess.SubprocessError) as error:
            log.error("preview of %s could not be laid out: %s", sha256, error)
            return PreviewPages(sha256, blocks=docx_blocks(docx), note=FAILED_NOTE)
    return PreviewPages(sha256, pages=len(list(done.glob("page-*.png"))))


def text_only(docs: DocumentServices, sha256: str) -> PreviewPages:
    """The staged DOCX as text (paragraphs, headings, tables): easier to read on a phone than a page."""
    return PreviewPages(sha256, blocks=docx_blocks(staged_docx(docs, sha256)))


def page_image(docs: DocumentServices, sha256: str, number: int) -> Path:
    path = _pages_dir(docs, _checked(sha256)) / f"page-{number}.png"
    if not path.exists():
        raise NotFound("预览页面不存在。")
    return path


def token(secret: str, user_id: int, sha256: str) -> str:
    """Who may open a staged preview: the user it was rendered for after the task's access check."""
    return hmac.new(secret.encode(), f"{user_id}:{sha256}".encode(), hashlib.sha256).hexdigest()[:32]


def check_token(secret: str, user_id: int, sha256: str, given: str) -> None:
    # compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, i.e. a 500)
    if not hmac.compare_digest(token(secret, user_id, sha256).encode(), (given or "").encode("utf-8", "replace")):
        raise OutOfScope("该预览不是为您生成的。")


def _write(path: Path, content: bytes) -> None:
    """Whole or not at all: two requests may write the same file at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    partial.write_bytes(content)
    partial.replace(path)


def _rasterize(docs: DocumentServices, sha256: str, docx: bytes) -> None:
    pdf_path = docs.preview_dir / f"{sha256}.pdf"
    if not pdf_path.exists():
        _write(pdf_path, docs.pdf.convert(docx))
    pdf = pdf_path.read_bytes()
    with tempfile.TemporaryDirectory(prefix="firegrid-preview-", dir=docs.preview_dir) as work:
        docs.pages.render(pdf, Path(work) / "pages")
        try:
            (Path(work) / "pages").rename(_pages_dir(docs, sha256))
        except OSError:  # another request finished the same pages first
            shutil.rmtree(Path(work) / "pages", ignore_errors=True)


def _checked(sha256: str) -> str:
    if len(sha256) != SHA256_HEX or any(c not in "0123456789abcdef" for c in sha256):
        raise NotFound("预览不存在。")
    return sha256


def _docx_path(docs: DocumentServices, sha256: str) -> Path:
    return docs.preview_dir / f"{_checked(sha256)}.docx"


def _pages_dir(docs: DocumentServices, sha256: str) -> Path:
    return docs.preview_dir / f"{sha256}.pages"


def staged_docx(docs: DocumentServices, sha256: str) -> bytes:
    """The DOCX a preview shows, as staged (a cleared cache asks for the task page again)."""
    path = _docx_path(docs, sha256)
    if not path.exists():
        raise NotFound("预览已失效，请重新打开任务页面。")
    return path.read_bytes()
