"""Meetings (联席会议/例会): series per organ, held meetings, and their decisions (议定事项) to follow up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.document import Document
from webapp.models.grid import CommitteeMember, GridNode
from webapp.models.types import AwareDateTime
from webapp.models.users import User
from webapp.models.workflow import ProcessInstance

MEETING_STATUSES = {"scheduled": "已安排", "held": "已召开（纪要待签发）", "issued": "纪要已印发"}
DECISION_STATUSES = {"open": "办理中", "done": "已完成"}


class MeetingSeries(db.Model):
    """A recurring meeting of one organ, e.g. 双月联席会议 every 2 months, numbered by its own 第N期."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))  # 双月联席会议
    interval_months: Mapped[int] = mapped_column(default=1)  # 1 monthly, 2 bimonthly, 3 quarterly; 0 as needed
    prefix_key: Mapped[str] = mapped_column(String(32))  # NumberPrefix.key with grammar qi
    issuer: Mapped[str] = mapped_column(String(100))  # 编发机关, e.g. 某镇消防安全委员会办公室
    # The 发文字号 its 会议通知 is issued under: the organ that convenes it (消安委 or 党政办, meeting_notice)
    notice_prefix_key: Mapped[str] = mapped_column(String(32), default="committee_notice",
                                                   server_default="committee_notice")
    sort_order: Mapped[int] = mapped_column(default=0)

    town: Mapped[GridNode] = relationship()

    __table_args__ = (UniqueConstraint("town_id", "key", name="uq_meeting_series_town_key"),)

    @property
    def periods_per_year(self) -> int:
        """Meetings due in a year; 0 for a series held as needed (不定期), which is never overdue."""
        return 12 // self.interval_months if self.interval_months else 0


# One sitting may serve several series (a 消委会全体会议 that is also the quarterly 联席会议): the series it
# counts for besides its own, whose 纪要 numbering it leaves alone.
meeting_extra_series = Table(
    "meeting_extra_series", db.metadata,
    Column("meeting_id", ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("series_id", ForeignKey("meeting_series.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Meeting(db.Model):
    """One meeting (sitting): scheduled by a case, its 会议通知 issued, held, its minutes issued and distributed."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("meeting_series.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200), default="")
    chair: Mapped[str] = mapped_column(String(50), default="")
    recorder: Mapped[str] = mapped_column(String(50), default="")
    invited: Mapped[list] = mapped_column(JSON, default=list)  # committee member organ names
    attendees: Mapped[list] = mapped_column(JSON, default=list)  # ["某某派出所 张某", …]
    absentees: Mapped[list] = mapped_column(JSON, default=list)  # ["… 姓名（原因）"]
    observers: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    issue_no: Mapped[int | None] = mapped_column()
    distributed_to: Mapped[list] = mapped_column(JSON, default=list)  # unit names the minutes went to
    distributed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    series: Mapped[MeetingSeries] = relationship()
    extra_series: Mapped[list[MeetingSeries]] = relationship(secondary=meeting_extra_series,
                                                             order_by=MeetingSeries.sort_order)
    instance: Mapped[ProcessInstance] = relationship()
    document: Mapped[Document | None] = relationship()
    decisions: Mapped[list[MeetingDecision]] = relationship(
        back_populates="meeting", order_by="MeetingDecision.seq", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return MEETING_STATUSES[self.status]

    @property
    def all_series(self) -> list[MeetingSeries]:
        """Its own series first, then the others it counts for."""
        return [self.series, *(s for s in self.extra_series if s.id != self.series_id)]


class MeetingDecision(db.Model):
    """A decision (议定事项) with its responsible unit and deadline, tracked until reported done.

    The responsible unit is a committee member unit (grid = the town) or a village (grid = the village);
    `grid_id` decides who sees and reports it (services.meeting_decisions.is_responsible).
    """

    __tablename__ = "meeting_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    seq: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    owner_name: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_member.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    deadline: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    completion_text: Mapped[str] = mapped_column(Text, default="")
    completion_file: Mapped[dict | None] = mapped_column(JSON)  # upload reference {file, name, type, size}
    completed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    member: Mapped[CommitteeMember | None] = relationship()
    grid: Mapped[GridNode] = relationship()
    completed_by: Mapped[User | None] = relationship()

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and today > self.deadline

    @property
    def status_label(self) -> str:
        return DECISION_STATUSES[self.status]
