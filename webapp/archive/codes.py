"""档号 (archive references): settings, organ codes, retention rules, and assigning codes once.

A code is assigned the first time an item is exported and stored with the item; later exports
reuse it, so 档号 stay stable. Each town is its own 全宗 (fonds) with its own settings, organ codes and
retention rules; 件号 restart per town and class (year, retention, organ code).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from webapp.archive.models import (
    DEFAULT_CODE_PATTERN,
    RETENTIONS,
    ArchiveItem,
    ArchiveItemDocument,
    ArchiveSettings,
    OrganCode,
    RetentionRule,
)
from webapp.cases import registry
from webapp.models import GridNode
from webapp.services.errors import InvalidInput

# Retention by template key (declared by each procedure), then by document kind (standards.md §4); admin
# rules override both.
DEFAULT_RETENTION_BY_KIND = {
    "通知": "D30", "通报": "D30", "纪要": "D30", "报告": "D30", "函": "D30", "通知书": "D30", "意见书": "D30",
    "责任书": "D10", "记录": "D10", "考评表": "Y",
}
FALLBACK_RETENTION = "D30"


def default_retention_by_template() -> dict[str, str]:
    return {key: code for procedure in registry.all_procedures() for key, code in procedure.retention.items()}


def default_item_groups() -> list[list[str]]:
    """Templates a procedure files together as one item (e.g. a notice and its re-inspection opinion)."""
    return [list(group) for procedure in registry.all_procedures() for group in procedure.archive_groups]
RETENTION_ORDER = {"Y": 0, "D30": 1, "D10": 2}
_CODE_PART = re.compile(r"^[A-Za-z0-9]{1,10}$")


@dataclass(frozen=True)
class CodeRules:
    """Everything needed to classify and code one town's items, read once per export."""

    town_id: int
    fonds: str
    category: str
    pattern: str
    default_organ: str
    organ_codes: dict[str, str]
    retention_rules: dict[str, str]
    item_groups: list[list[str]]

    def organ_code(self, organ: str) -> str:
        return self.organ_codes.get(organ.strip(), self.default_organ)

    def retention(self, template_key: str, kind: str) -> str:
        for table, key in ((self.retention_rules, template_key), (default_retention_by_template(), template_key),
                           (self.retention_rules, kind), (DEFAULT_RETENTION_BY_KIND, kind)):
            if key in table:
                return table[key]
        return FALLBACK_RETENTION

    def format(self, *, year: int, retention: str, organ: str, serial: int) -> str:
        return self.pattern.format(fonds=self.fonds, category=self.category, year=year, retention=retention,
                                   organ=organ, serial=serial)


def create_settings(session: Session, town: GridNode, *, source_organization: str = "") -> ArchiveSettings:
    """A town's settings with the defaults (the fonds number is the archives' to give; the admin enters it)."""
    row = ArchiveSettings(town_id=town.id, fonds_code="Z001", source_organization=source_organization,
                          category_code="WS", code_pattern=DEFAULT_CODE_PATTERN, default_organ_code="BGS",
                          item_groups=default_item_groups())
    session.add(row)
    session.flush()
    return row


def set_up_town(session: Session, town: GridNode, organs: dict[str, str]) -> None:
    """A new town's fonds: default settings with the town government as 立档单位 (setup calls this)."""
    if session.scalar(select(ArchiveSettings.id).where(ArchiveSettings.town_id == town.id)) is None:
        create_settings(session, town, source_organization=organs.get("government", ""))


def settings(session: Session, town: GridNode) -> ArchiveSettings:
    """The town's settings row, created with defaults on first use (a town made before its setup made them)."""
    row = session.scalar(select(ArchiveSettings).where(ArchiveSettings.town_id == town.id))
    return row if row is not None else create_settings(session, town)


def load_rules(session: Session, town: GridNode) -> CodeRules:
    row = settings(session, town)
    organs = {o.organ: o.code for o in session.scalars(select(OrganCode).where(OrganCode.town_id == town.id))}
    rules = {r.key: r.retention
             for r in session.scalars(select(RetentionRule).where(RetentionRule.town_id == town.id))}
    return CodeRules(town.id, row.fonds_code, row.category_code, row.code_pattern, row.default_organ_code, organs,
                     rules, [list(g) for g in row.item_groups or []])


def _check_pattern(pattern: str) -> None:
    try:
        sample = pattern.format(fonds="Z001", category="WS", year=2026, retention="D30", organ="BGS", serial=7)
    except (KeyError, IndexError, ValueError) as error:
        raise InvalidInput("档号格式有误：只能使用 {fonds} {category} {year} {retention} {organ} {serial}"
                           " 这些占位符，例如 {fonds}-{category}·{year}-{retention}-{organ}-{serial:04d}。") from error
    if "{serial" not in pattern or "{year" not in pattern or len(sample) > 80:
        raise InvalidInput("档号格式必须包含 {year} 和 {serial}，且不超过80个字符。")


def _check_code(label: str, value: str) -> str:
    value = value.strip()
    if not _CODE_PART.match(value):
        raise InvalidInput(f"{label}只能由1至10位字母或数字组成：{value or '（空）'}")
    return value


def update_settings(session: Session, town: GridNode, *, fonds: str, source_organization: str, pattern: str,
                    default_organ: str, organ_codes: dict[str, str], retention_rules: dict[str, str],
                    item_groups: list[list[str]]) -> ArchiveSettings:
    """Replace a town's archive settings; codes already assigned are kept (they never change)."""
    _check_pattern(pattern)
    for key, retention in retention_rules.items():
        if retention not in RETENTIONS:
            raise InvalidInput(f"保管期限“{retention}”无效（{key}），应为 Y、D30 或 D10。")
    row = settings(session, town)
    row.fonds_code, row.default_organ_code = _check_code("全宗号", fonds), _check_code("机构代码", default_organ)
    row.source_organization, row.code_pattern = source_organization.strip(), pattern.strip()
    row.item_groups = [g for g in item_groups if len(g) >= 2]
    _replace(session, town, OrganCode, [OrganCode(town_id=town.id, organ=o, code=_check_code("机构代码", c))
                                        for o, c in organ_codes.items()])
    _replace(session, town, RetentionRule, [RetentionRule(town_id=town.id, key=k, retention=v)
                                            for k, v in retention_rules.items()])
    session.flush()
    return row


def _replace(session: Session, town: GridNode, model: type, rows: list) -> None:
    for old in session.scalars(select(model).where(model.town_id == town.id)):  # type: ignore[attr-defined]
        session.delete(old)
    session.flush()
    session.add_all(rows)


@dataclass(frozen=True, slots=True)
class FiledItem:
    """An item's 档号 and class as filed: a plain value, so an export holds no ORM row per item."""

    year: int
    retention: str
    organ_code: str
    serial: int
    archive_code: str


class ItemRequest(Protocol):
    """What the assigner reads of an item to file (`item_store.ItemPlan`): its documents (main first), its class, and
    the stored item with its code, when it was filed before."""

    document_ids: list[int]
    retention: str
    organ_code: str
    item_id: int | None
    archive_code: str
    serial: int


class Assigner:
    """Gives a town's items their 档号 during one export, a batch at a time: the stored one, else the next 件号
    of the class. The new items and their members go in with one multi-row INSERT each per batch (no ORM
    object per item), and the highest 件号 of every class comes from one query per export.

    Gap-free: the serials continue from the highest stored, and the export's transaction keeps all or none.
    Two exports of one town at once cannot both take a number: nothing is locked, but the unique constraint
    on (town, class, serial) fails the later one's INSERT (it is rolled back; its archivist retries).
    """

    def __init__(self, session: Session, rules: CodeRules, now: datetime) -> None:
        self.session, self.rules, self.now = session, rules, now
        self._last: dict[tuple[int, str, str], int] | None = None

    def _next_serial(self, year: int, retention: str, organ: str) -> int:
        if self._last is None:
            self._last = self._highest_serials(year)
        key = (year, retention, organ)
        self._last[key] = self._last.get(key, 0) + 1
        return self._last[key]

    def _highest_serials(self, year: int) -> dict[tuple[int, str, str], int]:
        rows = self.session.execute(
            select(ArchiveItem.retention, ArchiveItem.organ_code, func.max(ArchiveItem.serial))
            .where(ArchiveItem.town_id == self.rules.town_id, ArchiveItem.year == year)
            .group_by(ArchiveItem.retention, ArchiveItem.organ_code))
        return {(year, retention, organ): serial for retention, organ, serial in rows}

    def assign(self, year: int, requests: Sequence[ItemRequest]) -> list[FiledItem]:
        """The items of a batch, in order: stored ones completed with new members, new ones inserted."""
        items = []
        for request in requests:
            if request.item_id is None:
                serial = self._next_serial(year, request.retention, request.organ_code)
                code = self.rules.format(year=year, retention=request.retention, organ=request.organ_code,
                                         serial=serial)
            else:
                serial, code = request.serial, request.archive_code
            items.append(FiledItem(year, request.retention, request.organ_code, serial, code))
        pairs = list(zip(requests, items, strict=True))
        members = [*self._insert_items(year, [(r, i) for r, i in pairs if r.item_id is None]),
                   *self._missing_members([r for r in requests if r.item_id is not None])]
        if members:
            self.session.execute(insert(ArchiveItemDocument), members)
        return items

    def _insert_items(self, year: int, pairs: list[tuple[ItemRequest, FiledItem]]) -> list[dict]:
        """Insert the new items; the member rows of their documents (main first)."""
        if not pairs:
            return []
        rows = [{"town_id": self.rules.town_id, "year": year, "retention": item.retention,
                 "organ_code": item.organ_code, "serial": item.serial, "archive_code": item.archive_code,
                 "main_document_id": request.document_ids[0], "assigned_at": self.now} for request, item in pairs]
        ids = self.session.execute(insert(ArchiveItem).returning(ArchiveItem.id, sort_by_parameter_order=True),
                                   rows).scalars().all()
        return [{"document_id": document_id, "item_id": item_id, "position": position}
                for (request, _), item_id in zip(pairs, ids, strict=True)
                for position, document_id in enumerate(dict.fromkeys(request.document_ids))]

    def _missing_members(self, requests: list[ItemRequest]) -> list[dict]:
        """Documents joining an item filed before (e.g. a re-inspection opinion issued after its notice)."""
        if not requests:
            return []
        known: dict[int, set[int]] = {}
        for item_id, document_id in self.session.execute(
                select(ArchiveItemDocument.item_id, ArchiveItemDocument.document_id)
                .where(ArchiveItemDocument.item_id.in_([r.item_id for r in requests]))):
            known.setdefault(item_id, set()).add(document_id)
        rows = []
        for request in requests:
            filed = known.setdefault(request.item_id, set())
            for document_id in request.document_ids:
                if document_id not in filed:
                    rows.append({"document_id": document_id, "item_id": request.item_id, "position": len(filed)})
                    filed.add(document_id)
        return rows


# --- the settings page's text boxes: one "name=value" or "key,key" a line -------------------------

def parse_pairs(text: str, label: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InvalidInput(f"{label}第{number}行应写成“名称=代码”：{line.strip()}")
        pairs[name.strip()] = value.strip()
    return pairs


def parse_groups(text: str) -> list[list[str]]:
    groups = [[k.strip() for k in line.replace("，", ",").split(",") if k.strip()] for line in text.splitlines()]
    return [g for g in groups if g]


def format_pairs(pairs: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in pairs.items())
