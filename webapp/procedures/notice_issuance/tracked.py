"""痕迹稿: the notice as the newer of two versions would issue it, with the changes since the older one as native
Word revisions by the newer version's author; and, at 签发, the 定稿 with the 核稿 痕迹稿 filed beside it.

The revisions are generated here from our own diff (webapp/documents/revisions.py) rather than by a document
comparison library: both versions render from the same template, so paragraphs line up and a diff of their
text is exact; it takes milliseconds in the request instead of a .NET process and a background job.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from webapp.cases.registry import StepContext, StepHook
from webapp.cases.runtime import CaseRuntime
from webapp.documents.revisions import tracked_docx
from webapp.models import AttachmentRole, Document, ProcessInstance
from webapp.procedures.notice_issuance import notices, versions
from webapp.services import documents
from webapp.services.grid import required_town


def version_data(case: dict, version: versions.NoticeVersion) -> dict:
    """The case data with a version's text in place (主送 as the version listed it)."""
    texts = version.texts
    return {**case, "title": texts.get("title", ""), "body": texts.get("body", ""), "cc": texts.get("cc", ""),
            "note": texts.get("note", ""), "addressees": [], "addressees_other": texts.get("addressees", "")}


def render_version(session: Session, runtime: CaseRuntime, instance: ProcessInstance, case: dict,
                   version: versions.NoticeVersion) -> bytes:
    town = required_town(instance.grid, "发文")
    context = notices.document_context(session, version_data(case, version), today=version.saved_at.date(),
                                       town=town)
    return runtime.documents.renderer.render(notices.template_key(case), context)


def tracked_file(session: Session, runtime: CaseRuntime, instance: ProcessInstance, pair: versions.Pair) -> bytes:
    """The 痕迹稿 DOCX of `pair.revised` against `pair.base`, authored by the revised version's author."""
    case = notices.case_data(runtime.engine(session), instance)
    base = render_version(session, runtime, instance, case, pair.base)
    revised = render_version(session, runtime, instance, case, pair.revised)
    return tracked_docx(base, revised, author=pair.revised.author_name, at=pair.revised.saved_at)


def file_name(instance: ProcessInstance, pair: versions.Pair) -> str:
    title = pair.revised.texts.get("title") or instance.title
    return documents.safe_filename(f"{title}（第{pair.base.number}稿至第{pair.revised.number}稿修改痕迹）") + ".docx"


def keep_with_final(session: Session, runtime: CaseRuntime, instance: ProcessInstance, document: Document) -> None:
    """File the last 核稿's 痕迹稿 with the issued 定稿 (when the 核稿 changed anything), for the archive."""
    pair = versions.review_pair(session, instance)
    if pair is None or pair.base.texts == pair.revised.texts:
        return
    documents.attach(session, runtime.documents, document, content=tracked_file(session, runtime, instance, pair),
                     name=file_name(instance, pair), media_type=documents.DOCX, role=AttachmentRole.TRACKED,
                     now=document.created_at)


def signed_off(issue: StepHook) -> StepHook:
    """签发: issue the document, then freeze the 定稿 as the last version and file the 痕迹稿 with it."""

    def run(ctx: StepContext) -> list[int]:
        produced = issue(ctx)
        versions.record(ctx.session, instance=ctx.instance, step_key="sign_off", data=ctx.data, user=ctx.user,
                        now=ctx.now, remark=ctx.opinion, final=True)
        document = notices.issued_document(ctx.session, ctx.instance)
        if document is not None:
            keep_with_final(ctx.session, ctx.services, ctx.instance, document)
        return produced

    return run
