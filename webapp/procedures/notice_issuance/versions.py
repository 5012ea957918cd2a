"""稿本 (draft versions) of a notice: every submitted 拟稿, 核稿 edit and 会签 remark is kept as a version,
with who, when, at which step, and the text fields as they stood then. 签发 adds the 定稿 and freezes it.

The autosave drafts (暂存, webapp/cases/drafts.py) stay apart on purpose: they are one user's unsubmitted,
overwritten scratch; a version is what a step handed on, and it is never changed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from webapp.cases.actions import hold_case
from webapp.cases.registry import StepContext, StepHook
from webapp.extensions import db
from webapp.models import ProcessInstance, User
from webapp.models.types import AwareDateTime
from webapp.procedures.notice_issuance import notices
from webapp.services.errors import InvalidInput, NotFound

# The text a version keeps, in the order the diff page shows it, with the label a reader sees.
TEXT_FIELDS = {"title": "标题", "addressees": "主送", "body": "正文", "cc": "抄送", "note": "附注"}
STEP_LABELS = {"draft": "拟稿", "review": "核稿", "countersign": "会签", "sign_off": "签发（定稿）"}
FROZEN = "本文已签发，定稿不能再修改。"


class NoticeVersion(db.Model):
    """One saved state of a notice's text: numbered 1, 2, … per case; the 签发 version is the 定稿."""

    __tablename__ = "notice_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()  # 第N稿 within the case
    step_key: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    saved_at: Mapped[datetime] = mapped_column(AwareDateTime())
    texts: Mapped[dict] = mapped_column(JSON, default=dict)  # TEXT_FIELDS → text
    remark: Mapped[str] = mapped_column(Text, default="")  # the step's opinion (会签意见, 核稿意见)
    final: Mapped[bool] = mapped_column(default=False)  # 定稿: recorded at 签发; nothing is saved after it

    instance: Mapped[ProcessInstance] = relationship()
    author: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("instance_id", "number", name="uq_notice_version_instance_number"),)

    @property
    def step_label(self) -> str:
        return STEP_LABELS.get(self.step_key, self.step_key)

    @property
    def author_name(self) -> str:
        return self.author.display_name if self.author else "系统"


def texts_of(data: dict) -> dict[str, str]:
    """The versioned text of a case's data (主送 as the document lists it)."""
    return {"title": str(data.get("title") or ""), "addressees": "、".join(notices.addressees(data)),
            "body": str(data.get("body") or ""), "cc": "、".join(notices.split_names(data.get("cc", ""))),
            "note": str(data.get("note") or "")}


def record(session: Session, *, instance: ProcessInstance, step_key: str, data: dict, user: User | None,
           now: datetime, remark: str = "", final: bool = False) -> NoticeVersion:
    """Keep the text as this step handed it on; refused once the 定稿 exists."""
    hold_case(session, instance)
    if final_version(session, instance) is not None:
        raise InvalidInput(FROZEN)
    last = session.scalar(select(func.max(NoticeVersion.number)).where(NoticeVersion.instance_id == instance.id))
    version = NoticeVersion(instance_id=instance.id, number=(last or 0) + 1, step_key=step_key, author=user,
                            saved_at=now, texts=texts_of(data), remark=remark.strip(), final=final)
    session.add(version)
    session.flush()
    return version


def versions_of(session: Session, instance: ProcessInstance) -> list[NoticeVersion]:
    return list(session.scalars(select(NoticeVersion).where(NoticeVersion.instance_id == instance.id)
                                .order_by(NoticeVersion.number)))


def final_version(session: Session, instance: ProcessInstance) -> NoticeVersion | None:
    return session.scalar(select(NoticeVersion).where(NoticeVersion.instance_id == instance.id,
                                                      NoticeVersion.final.is_(True)))


def version_by_number(session: Session, instance: ProcessInstance, number: int) -> NoticeVersion:
    found = session.scalar(select(NoticeVersion).where(NoticeVersion.instance_id == instance.id,
                                                       NoticeVersion.number == number))
    if found is None:
        raise NotFound("该稿本不存在。")
    return found


@dataclass(frozen=True)
class Pair:
    """Two versions to compare: the older (`base`) and the newer (`revised`)."""

    base: NoticeVersion
    revised: NoticeVersion


def pair(session: Session, instance: ProcessInstance, base: int | None, revised: int | None) -> Pair | None:
    """The chosen pair, or by default the latest version against the one before it (None: fewer than two)."""
    all_versions = versions_of(session, instance)
    if base is None and revised is None:
        return Pair(all_versions[-2], all_versions[-1]) if len(all_versions) >= 2 else None
    if base is None or revised is None:
        raise InvalidInput("请选择要比较的两个稿本。")
    older, newer = sorted((base, revised))
    return Pair(version_by_number(session, instance, older), version_by_number(session, instance, newer))


def review_pair(session: Session, instance: ProcessInstance) -> Pair | None:
    """The latest 核稿 against the version it reviewed (the one saved just before it): the 痕迹 of 核稿."""
    all_versions = versions_of(session, instance)
    for index in range(len(all_versions) - 1, 0, -1):
        if all_versions[index].step_key == "review":
            return Pair(all_versions[index - 1], all_versions[index])
    return None


def keep_unedited(ctx: StepContext) -> list[int]:
    """核稿 left the title or the text empty (or a service sent none): the draft's stands, never a blank."""
    for key in ("title", "body"):
        if not str(ctx.data.get(key) or "").strip():
            ctx.data.pop(key, None)
    return []


def recorded(step_key: str, hook: StepHook | None = None) -> StepHook:
    """A before-complete hook that runs `hook` (if any), then keeps the step's text as a version."""

    def run(ctx: StepContext) -> list[int]:
        produced = hook(ctx) if hook else []
        full = {**ctx.ready_data(), **ctx.data}
        record(ctx.session, instance=ctx.instance, step_key=step_key, data=full, user=ctx.user, now=ctx.now,
               remark=ctx.opinion)
        return produced

    return run
