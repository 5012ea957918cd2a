"""Archive (归档): settings, organ codes, retention rules, items (件) with their 档号, and exports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.document import Document
from webapp.models.grid import GridNode
from webapp.models.types import AwareDateTime
from webapp.models.users import User

RETENTIONS = {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}
EXPORT_STATUSES = {"running": "生成中", "done": "已完成", "failed": "失败", "cancelled": "已取消"}
DEFAULT_CODE_PATTERN = "{fonds}-{category}·{year}-{retention}-{organ}-{serial:04d}"


class ArchiveSettings(db.Model):
    """One row per town, each town being its own 全宗 (fonds): the fonds number, the 档号 pattern and
    which documents form one item (the town's admin edits them)."""

    __tablename__ = "archive_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), unique=True)
    fonds_code: Mapped[str] = mapped_column(String(10), default="Z001")  # 全宗号
    source_organization: Mapped[str] = mapped_column(String(100), default="")  # 立档单位
    category_code: Mapped[str] = mapped_column(String(10), default="WS")  # 门类代码: 文书
    code_pattern: Mapped[str] = mapped_column(String(100), default=DEFAULT_CODE_PATTERN)
    default_organ_code: Mapped[str] = mapped_column(String(10), default="BGS")
    # Template keys that form one item when they share a case, first key = the main document.
    item_groups: Mapped[list] = mapped_column(JSON, default=list)


class OrganCode(db.Model):
    """机构(问题)代码 of an issuing body (责任者), in one town's fonds."""

    __tablename__ = "archive_organ_code"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)
    organ: Mapped[str] = mapped_column(String(100), primary_key=True)
    code: Mapped[str] = mapped_column(String(10))


class RetentionRule(db.Model):
    """保管期限 of a template key (or, when no template rule exists, of a document kind), in one town's fonds."""

    __tablename__ = "archive_retention_rule"

    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), primary_key=True)

    key: Mapped[str] = mapped_column(String(50), primary_key=True)  # template key or kind (通知 …)
    retention: Mapped[str] = mapped_column(String(4))  # Y | D30 | D10


class ArchiveItem(db.Model):
    """One 件 of a town's fonds: a main document with its related documents; the 档号 is assigned once and kept."""

    __tablename__ = "archive_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    retention: Mapped[str] = mapped_column(String(4))
    organ_code: Mapped[str] = mapped_column(String(10))
    serial: Mapped[int] = mapped_column()  # 件号, restarting per town and class (year, retention, organ)
    archive_code: Mapped[str] = mapped_column(String(80))  # 档号, unique in its town's fonds
    main_document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    assigned_at: Mapped[datetime] = mapped_column(AwareDateTime())

    main_document: Mapped[Document] = relationship()
    members: Mapped[list[ArchiveItemDocument]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ArchiveItemDocument.position")

    __table_args__ = (
        UniqueConstraint("town_id", "year", "retention", "organ_code", "serial",
                         name="uq_archive_item_town_class_serial"),
        UniqueConstraint("town_id", "archive_code", name="uq_archive_item_town_archive_code"),
    )


class ArchiveItemDocument(db.Model):
    """A document filed in an item (the main one at position 0); a document is in one item only."""

    __tablename__ = "archive_item_document"

    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("archive_item.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)

    item: Mapped[ArchiveItem] = relationship(back_populates="members")
    document: Mapped[Document] = relationship()


class ArchiveExport(db.Model):
    """A package built for a town's year: where the zip is, what it holds, how its check went."""

    __tablename__ = "archive_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("grid_node.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10), default="running")  # a key of EXPORT_STATUSES
    filename: Mapped[str] = mapped_column(String(200), default="")
    item_count: Mapped[int] = mapped_column(default=0)
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    passed: Mapped[bool] = mapped_column(default=False)  # 四性检测 passed
    message: Mapped[str] = mapped_column(Text, default="")
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(AwareDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    created_by: Mapped[User | None] = relationship()
    town: Mapped[GridNode] = relationship()

    @property
    def status_label(self) -> str:
        return EXPORT_STATUSES[self.status]
