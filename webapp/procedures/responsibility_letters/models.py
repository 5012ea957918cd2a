"""Responsibility-letter campaigns (消防安全目标责任书签订), their letters and signing history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.document import Document, StoredFile
from webapp.models.grid import GridNode, Unit
from webapp.models.jobs import Job
from webapp.models.types import AwareDateTime
from webapp.models.users import User
from webapp.models.workflow import ProcessInstance

# Party B kinds: the keys of the template manifest's defaults.duty_clauses.
COUNTERPARTY_KINDS = {
    "village": "村（社区）", "department": "镇直部门", "key_unit": "消防安全重点单位",
    "small_venue": "九小场所", "other_unit": "其他单位",
}
COUNTERPARTY_SETS = {"villages_departments": "各村（社区）和镇消安委成员单位", "units": "网格内单位、场所"}
CAMPAIGN_STATUSES = {"drafting": "拟定文本", "generating": "批量生成中", "signing": "签订中", "closed": "已结束"}
LETTER_STATUSES = {"pending": "待生成", "issued": "待签订", "signed": "已签订", "void": "已作废"}


class LetterCampaign(db.Model):
    """One signing campaign: a year, party A, a set of counterparties and the approved text."""

    __tablename__ = "letter_campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    year: Mapped[int] = mapped_column(index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)  # party A's grid node
    party_a_name: Mapped[str] = mapped_column(String(100))
    party_a_signatory: Mapped[str] = mapped_column(String(50), default="")
    counterparty_set: Mapped[str] = mapped_column(String(30))
    categories: Mapped[list] = mapped_column(JSON, default=list)  # unit categories; empty = all
    # preamble, targets, duties{kind: [...]}, assessment, term{start,end}, copies, copies_note
    text: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="drafting", index=True)
    print_pdf: Mapped[bool] = mapped_column(default=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))
    combined_docx_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_file.sha256"))
    combined_pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_file.sha256"))
    combined_note: Mapped[str] = mapped_column(Text, default="")
    combined_stale: Mapped[bool] = mapped_column(default=False)  # a letter was re-issued since
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    closed_note: Mapped[str] = mapped_column(Text, default="")
    unsigned_at_close: Mapped[list] = mapped_column(JSON, default=list)

    instance: Mapped[ProcessInstance] = relationship()
    grid: Mapped[GridNode] = relationship()
    job: Mapped[Job | None] = relationship()

    @property
    def status_label(self) -> str:
        return CAMPAIGN_STATUSES.get(self.status, self.status)

    @property
    def title(self) -> str:
        return f"{self.year}年度消防安全目标责任书（{self.party_a_name}）"


class ResponsibilityLetter(db.Model):
    """One letter with one counterparty; a re-issue after voiding is the next revision."""

    __tablename__ = "responsibility_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("letter_campaign.id"), index=True)
    counterparty_key: Mapped[str] = mapped_column(String(40))  # "unit:12", "village:4", "member:3"
    revision: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20))
    party_b_name: Mapped[str] = mapped_column(String(200))
    responsible_person: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"))
    grid_path: Mapped[str] = mapped_column(String(255), index=True)  # copy: rates per subtree by prefix
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"), unique=True)
    signed_on: Mapped[date | None] = mapped_column()
    signatory_a: Mapped[str] = mapped_column(String(50), default="")
    signatory_b: Mapped[str] = mapped_column(String(50), default="")
    scan_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_file.sha256"))
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    void_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())

    campaign: Mapped[LetterCampaign] = relationship()
    grid: Mapped[GridNode] = relationship()
    unit: Mapped[Unit | None] = relationship()
    document: Mapped[Document | None] = relationship()
    scan: Mapped[StoredFile | None] = relationship()
    signed_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("campaign_id", "counterparty_key", "revision", name="uq_letter_campaign_party_revision"),
        Index("ix_responsibility_letter_campaign_status", "campaign_id", "status"),
    )

    @property
    def kind_label(self) -> str:
        return COUNTERPARTY_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return LETTER_STATUSES.get(self.status, self.status)


class LetterEvent(db.Model):
    """Signing history of a letter: sign, undo (with reason), void, re-issue."""

    __tablename__ = "letter_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("responsibility_letter.id"), index=True)
    at: Mapped[datetime] = mapped_column(AwareDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship()
