"""Document downloads (scope-checked, Chinese file names), previews, and the template gallery."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from webapp.cases import actions as cases
from webapp.cases import previews
from webapp.cases import registry as procedures
from webapp.extensions import db
from webapp.services import documents, grid
from webapp.services.errors import NotFound
from webapp.web.common import acting_user, now
from webapp.web.responses import DOCX, download_response, pdf_response, runtime, stored_download, stored_file_response

bp = Blueprint("documents", __name__)


def _document_in_scope(document_id: int, with_file: bool = False):
    document = documents.get_document(db.session, document_id, with_grid=True, with_file=with_file)
    grid.ensure_in_scope(acting_user(), document.grid)
    return document


@bp.get("/documents/<int:document_id>.docx", endpoint="download")
@login_required
def download(document_id: int):
    document = _document_in_scope(document_id, with_file=True)  # the file's row then comes with it
    return stored_download(document.file_sha256, document.filename, DOCX)



@bp.get("/documents/<int:document_id>/attachments/<int:attachment_id>", endpoint="attachment")
@login_required
def attachment(document_id: int, attachment_id: int):
    """A file kept with a document (附件, 送达回执, 反馈函, photo …), scoped like the document."""
    found = documents.get_attachment(_document_in_scope(document_id), attachment_id)
    return stored_file_response(found.file_sha256, found.name)


@bp.get("/documents/<int:document_id>.pdf", endpoint="download_pdf")
@login_required
def download_pdf(document_id: int):
    document = _document_in_scope(document_id)
    return pdf_response(lambda: documents.pdf_bytes(runtime().documents, document),
                        document.filename.removesuffix(".docx") + ".pdf")


@bp.get("/tasks/<int:task_id>/preview/<template_key>.docx", endpoint="preview")
@login_required
def preview(task_id: int, template_key: str):
    """The document as it would be issued from this case's data now (not stored, no number)."""
    task = cases.task_for_user(db.session, acting_user(), task_id)
    if template_key not in runtime().specs.steps(task.instance.procedure)[task.step_key].template_keys:
        raise NotFound("该步骤没有这份文件的预览。")
    content = previews.render_step_document(db.session, runtime(), task=task, template_key=template_key,
                                            data=cases.task_data(db.session, runtime(), task),
                                            user=acting_user(), now=now())
    title = runtime().documents.library.spec(template_key).title
    return download_response(content, documents.safe_filename(f"预览_{title}") + ".docx", DOCX)


@bp.get("/templates/", endpoint="gallery")
@login_required
def gallery():
    library = runtime().documents.library
    return render_template("documents/gallery.html", specs=[library.spec(key) for key in library],
                           procedures=procedures.all_procedures())


@bp.get("/templates/<key>/sample.docx", endpoint="sample")
@login_required
def sample(key: str):
    library = runtime().documents.library
    if key not in set(library):
        raise NotFound("没有这个模板。")
    content = runtime().documents.renderer.render_sample(key)
    return download_response(content, documents.safe_filename(f"样例_{library.spec(key).title}") + ".docx", DOCX)
