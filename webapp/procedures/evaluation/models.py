"""Year-end evaluation (年终考评): scoring schemes, evaluations and their scores; the registers it reads
(publicity and training 宣传培训, fire incidents 火灾事故)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.document import Document
from webapp.models.grid import CommitteeMember, GridNode
from webapp.models.types import AwareDateTime
from webapp.models.users import User
from webapp.models.workflow import ProcessInstance

TARGET_KINDS = {"village": "村（社区）", "department": "镇直部门"}
ITEM_KINDS = {"measured": "系统测算", "assessed": "人工评定", "bonus": "加分项", "veto": "一票否决"}
FORMULAS = {
    "ratio": "得分 = 比率 × 分值",
    "count": "得分 = 次数 ÷ 目标次数 × 分值（不超过分值）",
    "deduct": "得分 = 分值 − 次数 × 每次扣分（不低于0）",
    "any": "次数大于0即否决",
}
FORMULA_TARGETS = {"count": "目标次数", "deduct": "每次扣分"}  # what `target` means for each formula
CATEGORIES = ("火灾预防", "消防安全基础", "消防安全责任", "加分项目", "否决项目")
FIVE_INTO = ("进机关", "进学校", "进社区", "进企业", "进农村", "进家庭", "进场所")
PUBLICITY_KINDS = {"publicity": "宣传活动", "training": "培训", "drill": "演练"}
EVALUATION_STATUSES = {"open": "考评中", "approved": "已审定"}


class EvaluationScheme(db.Model):
    """A 100-point scoring scheme for one kind of evaluated body; the admin edits its items."""

    __tablename__ = "evaluation_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(16), unique=True)  # village | department
    name: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[SchemeItem]] = relationship(
        back_populates="scheme", cascade="all, delete-orphan", order_by="SchemeItem.sort_order")

    @property
    def target_label(self) -> str:
        return TARGET_KINDS.get(self.target_kind, self.target_kind)

    @property
    def base_points(self) -> float:
        return sum(i.points for i in self.items if i.kind in ("measured", "assessed"))


class SchemeItem(db.Model):
    """One line of a scheme: measured from records by a named metric and formula, or assessed by people."""

    __tablename__ = "evaluation_scheme_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("evaluation_scheme.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(String(200))
    points: Mapped[float] = mapped_column(Float, default=0)
    rule: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="assessed")
    metric: Mapped[str] = mapped_column(String(40), default="")
    formula: Mapped[str] = mapped_column(String(10), default="")
    target: Mapped[float] = mapped_column(Float, default=0)  # count target, or points per occurrence
    sort_order: Mapped[int] = mapped_column(default=0)

    scheme: Mapped[EvaluationScheme] = relationship(back_populates="items")

    @property
    def kind_label(self) -> str:
        return ITEM_KINDS.get(self.kind, self.kind)

    @property
    def formula_label(self) -> str:
        """The formula in words, with its target (e.g. "…，目标次数4")."""
        words = FORMULAS.get(self.formula, "")
        if self.formula in FORMULA_TARGETS and self.target:
            words += f"；{FORMULA_TARGETS[self.formula]}{self.target:g}"
        return words


class Evaluation(db.Model):
    """One year's evaluation, run by one case."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    computed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    notice_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))

    instance: Mapped[ProcessInstance] = relationship(foreign_keys=[instance_id])
    town: Mapped[GridNode] = relationship()
    bodies: Mapped[list[EvaluatedBody]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="EvaluatedBody.sort_order")

    @property
    def status_label(self) -> str:
        return EVALUATION_STATUSES.get(self.status, self.status)


class EvaluatedBody(db.Model):
    """A village (grid node) or a department (committee member) under evaluation, with its result."""

    __tablename__ = "evaluated_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(30))  # "village:4", "member:3"
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_member.id"))
    assessor: Mapped[str] = mapped_column(String(50), default="")  # username of the self-assessing clerk
    sort_order: Mapped[int] = mapped_column(default=0)
    self_assessed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # 考评组评分 is saved body by body; the step completes once every body has this set.
    group_scored_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    total: Mapped[float | None] = mapped_column(Float)
    vetoed: Mapped[bool] = mapped_column(default=False)
    rank: Mapped[int | None] = mapped_column()
    grade: Mapped[str] = mapped_column(String(8), default="")
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))

    evaluation: Mapped[Evaluation] = relationship(back_populates="bodies")
    grid: Mapped[GridNode] = relationship()
    member: Mapped[CommitteeMember | None] = relationship()
    document: Mapped[Document | None] = relationship()
    # The account behind `assessor`, for showing its display name (the username is an internal code).
    assessor_user: Mapped[User | None] = relationship(
        primaryjoin="foreign(EvaluatedBody.assessor) == User.username", viewonly=True)
    scores: Mapped[list[ItemScore]] = relationship(
        back_populates="body", cascade="all, delete-orphan", order_by="ItemScore.sort_order")

    __table_args__ = (UniqueConstraint("evaluation_id", "key", name="uq_evaluated_body_key"),)


class ItemScore(db.Model):
    """A scheme item as it was when the evaluation opened, with what was measured and scored."""

    __tablename__ = "evaluation_item_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("evaluated_body.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_scheme_item.id", ondelete="SET NULL"))
    sort_order: Mapped[int] = mapped_column(default=0)
    category: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(String(200))
    points: Mapped[float] = mapped_column(Float, default=0)
    rule: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10))
    metric: Mapped[str] = mapped_column(String(40), default="")
    formula: Mapped[str] = mapped_column(String(10), default="")
    target: Mapped[float] = mapped_column(Float, default=0)
    measured_value: Mapped[float | None] = mapped_column(Float)  # a rate (0–1) or a count
    measured_text: Mapped[str] = mapped_column(String(200), default="")  # "8/10（80%）"
    measured_score: Mapped[float | None] = mapped_column(Float)
    self_score: Mapped[float | None] = mapped_column(Float)
    self_note: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float | None] = mapped_column(Float)
    deduction_reason: Mapped[str] = mapped_column(Text, default="")

    body: Mapped[EvaluatedBody] = relationship(back_populates="scores")


class PublicityEvent(db.Model):
    """宣传日、培训、演练 (“五进”): one register row."""

    __tablename__ = "publicity_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("committee_member.id"))  # organising department
    held_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(12), default="publicity")
    five_into: Mapped[str] = mapped_column(String(8))  # 进机关 / 进学校 …
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(200), default="")
    attendance: Mapped[int] = mapped_column(default=0)
    photos: Mapped[list] = mapped_column(JSON, default=list)  # upload references {file, name, type, size}
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime())

    grid: Mapped[GridNode] = relationship()
    member: Mapped[CommitteeMember | None] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return PUBLICITY_KINDS.get(self.kind, self.kind)


class FireIncident(db.Model):
    """火灾事故登记: date, place, casualties and loss."""

    __tablename__ = "fire_incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200))  # the unit's name or the address
    cause: Mapped[str] = mapped_column(Text, default="")
    deaths: Mapped[int] = mapped_column(default=0)
    injuries: Mapped[int] = mapped_column(default=0)
    loss: Mapped[float] = mapped_column(Float, default=0)  # direct loss, 万元
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(AwareDateTime())

    grid: Mapped[GridNode] = relationship()
    recorded_by: Mapped[User | None] = relationship()
