"""Generated and uploaded files, official documents, and their numbers (文号)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.grid import GridNode, Unit
from webapp.models.types import AwareDateTime
from webapp.models.users import User
from webapp.models.workflow import ProcessInstance

DOCUMENT_STATUSES = {"draft": "草稿", "issued": "已印发", "superseded": "已更正（旧版）", "void": "已作废"}


class AttachmentRole(StrEnum):
    """Every role a file kept with a document can have, declared once: callers attach with these
    members and the archive and the case page name files by `label`, so a new role is known to
    all of them as soon as it is added here."""

    ATTACHMENT = "attachment"
    SCAN = "scan"  # the signed paper of a responsibility letter
    PHOTO = "photo"
    RECEIPT = "receipt"  # 送达回执 of a served notice
    FEEDBACK = "feedback"  # the receiver's 反馈函 to a referral
    RECEIVED = "received"  # the received file (来文) filed with its 收文处理单
    TRACKED = "tracked"  # 痕迹稿: the 核稿 changes as Word revisions, filed with the 定稿

    @property
    def label(self) -> str:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {AttachmentRole.ATTACHMENT: "附件", AttachmentRole.SCAN: "签字盖章件", AttachmentRole.PHOTO: "照片",
                AttachmentRole.RECEIPT: "送达回执", AttachmentRole.FEEDBACK: "反馈函",
                AttachmentRole.RECEIVED: "来文", AttachmentRole.TRACKED: "修改痕迹稿"}


class StoredFile(db.Model):
    """A file's bytes live once in the store, named by SHA-256; this row describes them."""

    __tablename__ = "stored_file"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column()
    media_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # What opening these bytes found (JSON of documents.inspection.Inspection): recorded when the file is made or
    # attached, else by the first archive export that packs it; the bytes never change, so neither does this.
    inspection: Mapped[str | None] = mapped_column(Text)


class StoredFileChunk(db.Model):
    """A piece of a stored file's bytes, for the database file store (FIREGRID_FILE_STORE=database):
    files are written and read a chunk at a time, never as one value the size of the file."""

    __tablename__ = "stored_file_chunk"

    sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Document(db.Model):
    """One official document or record: a template rendered with a case's data, at a version."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_key: Mapped[str] = mapped_column(String(50), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # 通知, 通报, 函, 纪要 …
    title: Mapped[str] = mapped_column(String(300))
    # 文号, once issued; a correction (new version) keeps it, so uniqueness lives in issued_number
    number: Mapped[str | None] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    version: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))  # the version it corrects
    file_sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"))
    filename: Mapped[str] = mapped_column(String(200))
    issuing_organ: Mapped[str] = mapped_column(String(100), default="")  # 责任者
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    step_key: Mapped[str] = mapped_column(String(100), default="")
    context_json: Mapped[str] = mapped_column(Text, default="{}")  # the data it was rendered from
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    void_reason: Mapped[str] = mapped_column(Text, default="")
    # the layout verifier's report on the issued PDF (JSON with a Chinese "label"); "" for older rows
    layout_check: Mapped[str] = mapped_column(Text, default="")
    # its PDF/A-2b, made once by the "document_pdf" job after issuing (a rendition, not the document:
    # set after issue); NULL until then, or when LibreOffice is missing
    # No foreign key: adding one to `document` on SQLite rebuilds the table, which the foreign keys of the many
    # tables that refer to it forbid on a downgrade; the job only sets it after storing the file.
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    file: Mapped[StoredFile] = relationship(foreign_keys=[file_sha256])
    grid: Mapped[GridNode] = relationship()
    unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    instance: Mapped[ProcessInstance | None] = relationship()
    previous: Mapped[Document | None] = relationship(remote_side=[id])
    attachments: Mapped[list[DocumentAttachment]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="DocumentAttachment.id")

    @property
    def status_label(self) -> str:
        return DOCUMENT_STATUSES[self.status]

    @property
    def layout_check_label(self) -> str:
        """版式检查 result as shown on the case page (通过 / 未通过：which rule / 未检查（why）)."""
        return json.loads(self.layout_check)["label"] if self.layout_check else "未检查"


class DocumentAttachment(db.Model):
    """A file kept with a document: 附件, a signed scan (签收/签订扫描件), a photo."""

    __tablename__ = "document_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    file_sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=AttachmentRole.ATTACHMENT.value)  # an AttachmentRole
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    document: Mapped[Document] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()

    @property
    def role_label(self) -> str:
        return AttachmentRole(self.role).label


class NumberSequence(db.Model):
    """The counter of one number prefix (机关代字) or minutes series of one town in one year."""

    __tablename__ = "number_sequence"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(50), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)


class IssuedNumber(db.Model):
    """Every number ever allocated, issued or voided: proof that the sequence has no gaps."""

    __tablename__ = "issued_number"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"))
    prefix: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column()
    serial: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(String(60))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    status: Mapped[str] = mapped_column(String(10), default="issued")  # issued | void
    void_reason: Mapped[str] = mapped_column(Text, default="")
    allocated_at: Mapped[datetime] = mapped_column(AwareDateTime())

    document: Mapped[Document | None] = relationship()
    town: Mapped[GridNode] = relationship()

    __table_args__ = (
        UniqueConstraint("town_id", "prefix", "year", "serial", name="uq_issued_number_town_prefix_year_serial"),
        Index("ix_issued_number_document", "document_id"),
    )


class NumberPrefix(db.Model):
    """Which 发文机关, 机关代字 and grammar a kind of document uses in one town (admin-editable): each town
    of a county server numbers under its own prefixes, gap-free per town, prefix and year."""

    __tablename__ = "number_prefix"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(50), primary_key=True)  # e.g. town_notice, rectification
    organ: Mapped[str] = mapped_column(String(100))  # 发文机关 / 责任者
    prefix: Mapped[str] = mapped_column(String(50))  # e.g. 某府发; for minutes the series name
    grammar: Mapped[str] = mapped_column(String(10))  # wenhao | di | qi
    description: Mapped[str] = mapped_column(String(100), default="")
