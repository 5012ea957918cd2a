"""A town's organisation in one Excel workbook (组织架构工作簿): the blank template, the export, and the
all-or-nothing import.

Sheets: 网格 (village/community → small grid), 单位 (the unit ledger's columns), 网格职务 (网格长/网格员/楼院长
on grid nodes, linked to an account by username), 账号 (accounts with roles and scope), 消安委成员单位
(the committee's member units), then each procedure's own sheets (Procedure.workbook_sheets, e.g. the
inspection procedure's 移交接收部门).

Import checks every row of every sheet and names each refused row (sheet, row, reason). Each sheet writes
its good rows so later sheets can refer to them (a unit in a new grid, a post held by a new account); if
any row of any sheet was refused, `import_workbook` raises WorkbookRefused and the caller rolls the one
transaction back, so nothing is imported. Rows match what exists by grid path, unit name within its grid,
username, post holder and organ name: export → edit → import updates, and an unedited export changes
nothing. Rows missing from the workbook are left as they are (nothing is deleted).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import IO

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from webapp.cases import registry
from webapp.cases.registry import WorkbookSheet
from webapp.models import CommitteeMember, GridNode, GridPost, Unit, User
from webapp.models.grid import COMMITTEE_ROLES, GRID_POSTS, UNIT_CATEGORIES
from webapp.models.users import ROLES
from webapp.registers import equipment_points
from webapp.services import accounts, grid, unit_ledger, units
from webapp.services.errors import InvalidInput
from webapp.services.grid import find_by_display_path
from webapp.services.spreadsheets import (
    SheetResult,
    SheetRow,
    add_table,
    append_row,
    cell_text,
    duplicate_rows,
    empty_book,
    to_bytes,
)

GRID, UNITS, POSTS, ACCOUNTS, COMMITTEE = "网格", "单位", "网格职务", "账号", "消安委成员单位"
# The unit ledger's own sheet name: a plain unit ledger imports as the workbook's 单位 sheet.
SHEET_ALIASES = {"单位台账": UNITS}
COMMITTEE_LABELS = {"head": "主任", "deputy": "副主任", "member": "成员"}
ROLE_SEPARATORS = re.compile(r"[、,，;；\s]+")
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 12


def _keys_by_label(labels: dict[str, str], *aliases: dict[str, str]) -> dict[str, str]:
    """Chinese label (or the key itself, or an older label) → key."""
    found = {key: key for key in labels}
    for mapping in aliases:
        found.update({label: key for key, label in mapping.items()})
    found.update({label: key for key, label in labels.items()})
    return found


POST_KEYS = _keys_by_label(GRID_POSTS)
COMMITTEE_KEYS = _keys_by_label(COMMITTEE_LABELS, COMMITTEE_ROLES)
ROLE_KEYS = _keys_by_label(ROLES)


@dataclass(frozen=True)
class NewAccount:
    """An account the import created, with its one-time initial password (shown once, never stored)."""

    username: str
    display_name: str
    password: str


@dataclass
class OrgImportResult:
    sheets: list[tuple[str, SheetResult]]
    new_accounts: list[NewAccount] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(result.changes for _, result in self.sheets)

    def summary(self) -> str:
        parts = [f"{title}新增{len(r.added)}、更新{len(r.updated)}、无变化{r.unchanged}" for title, r in self.sheets]
        return "；".join(parts)


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"“{self.sheet}”表第{self.row}行：{self.reason}"


class WorkbookRefused(InvalidInput):
    """Rows were refused: `rows` names each (sheet, row, reason); the caller rolls back."""

    def __init__(self, rows: list[RowProblem]) -> None:
        super().__init__(f"导入失败，共{len(rows)}处错误，未导入任何数据。", [str(p) for p in rows])
        self.rows = rows


# --- grid nodes by path ----------------------------------------------------------------------------------

def _node(town: GridNode, path: str) -> GridNode | None:
    """The town itself by its name, or a node below it by "村/小网格"."""
    return town if path == town.name else find_by_display_path(town, path)


def _nodes(session: Session, town: GridNode) -> list[GridNode]:
    return list(session.scalars(select(GridNode).where(GridNode.path.startswith(town.path)).order_by(GridNode.path)))


def _check_name(row: SheetRow, header: str, result: SheetResult) -> str | None:
    name = row.text(header)
    if not name:
        result.refuse(row, f"“{header}”不能为空")
    elif "/" in name or len(name) > 100:
        result.refuse(row, f"“{header}”不能含“/”，且不超过100字")
    else:
        return name
    return None


def _child(session: Session, parent: GridNode, level: str, name: str, result: SheetResult, label: str) -> GridNode:
    node = next((c for c in parent.children if c.name == name), None)
    if node is None:
        node = grid.add_node(session, parent=parent, level=level, name=name, sort_order=len(parent.children))
        result.added.append(label)
    return node


def _import_grid(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
    result = SheetResult()
    rows = duplicate_rows(rows, lambda r: (r.text("村（社区）"), r.text("小网格")), result, "村（社区）和小网格")
    for row in rows:
        village_name = _check_name(row, "村（社区）", result)
        area_name = row.text("小网格") and _check_name(row, "小网格", result)
        if village_name is None or area_name is None:
            continue
        added_before = len(result.added)
        village = _child(session, town, "village", village_name, result, village_name)
        if area_name:
            _child(session, village, "area", area_name, result, f"{village_name}/{area_name}")
        if len(result.added) == added_before:
            result.unchanged += 1
    return result


def _export_grid(session: Session, town: GridNode) -> list[list[object]]:
    return [[n.parent.name, n.name] if n.level == "area" else [n.name, ""]
            for n in _nodes(session, town) if n.level in ("village", "area")]


# --- units: the unit ledger's rows ----------------------------------------------------------------------

def _import_units(session: Session, town: GridNode, rows: list[SheetRow], *, now: datetime) -> SheetResult:
    result = SheetResult()
    parsed: list[tuple[SheetRow, units.UnitFields]] = []
    for row in rows:
        fields, problems = unit_ledger._parse_row(session, town, row.values)  # the ledger's own row checks
        for problem in problems:
            result.refuse(row, problem)
        if fields is not None and not problems:
            parsed.append((row, fields))
    keys = {id(row): (fields.grid.id, fields.name) for row, fields in parsed}
    kept = {id(r) for r in duplicate_rows([r for r, _ in parsed], lambda r: keys[id(r)], result, "同一网格内单位名称")}
    found = units.units_by_key(session, {fields.grid.id for _row, fields in parsed})
    for row, fields in parsed:
        if id(row) not in kept:
            continue
        existing = found.get((fields.grid.id, fields.name.strip()))
        changed = existing is not None and units.differs(existing, fields)
        result.count(fields.name, created=existing is None, changed=changed)
        if existing is None or changed:  # validated by the ledger's row checks, matched above
            units.save_unit(session, fields, now=now, unit=existing, checked=True)
    session.flush()
    return result


def _town_units(session: Session, town: GridNode) -> list[Unit]:
    query = select(Unit).join(Unit.grid).where(GridNode.path.startswith(town.path)).order_by(GridNode.path, Unit.name)
    return list(session.scalars(query))


def _export_units(session: Session, town: GridNode) -> list[list[object]]:
    """The unit ledger's export rows, read back from its own workbook (one format for both)."""
    sheet = load_workbook(BytesIO(unit_ledger.export_units(_town_units(session, town)))).worksheets[0]
    return [list(values) for values in sheet.iter_rows(min_row=2, values_only=True)]


# --- accounts -------------------------------------------------------------------------------------------

def initial_password() -> str:
    """A one-time random initial password (letters and digits that are not easily confused)."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _roles(row: SheetRow, result: SheetResult) -> list[str] | None:
    labels = [label for label in ROLE_SEPARATORS.split(row.text("角色")) if label]
    unknown = [label for label in labels if label not in ROLE_KEYS]
    if not labels:
        result.refuse(row, "角色不能为空")
    elif unknown:
        result.refuse(row, f"未知角色：{'、'.join(unknown)}（可选：{'、'.join(ROLES.values())}）")
    else:
        return sorted({ROLE_KEYS[label] for label in labels})
    return None


def _scope(town: GridNode, row: SheetRow, header: str, result: SheetResult) -> GridNode | None:
    path = row.text(header)
    node = _node(town, path) if path else None
    if node is None:
        result.refuse(row, f"未知的{header}“{path}”（填镇名或“村/小网格”）" if path else f"“{header}”不能为空")
    return node


def _phone(row: SheetRow, header: str, result: SheetResult) -> str | None:
    phone = row.text(header)
    problem = units.phone_problem(phone)
    if problem:
        result.refuse(row, problem)
        return None
    return phone


def _import_accounts(session: Session, town: GridNode, rows: list[SheetRow], *, now: datetime,
                     created: list[NewAccount], new_password: Callable[[], str]) -> SheetResult:
    result = SheetResult()
    named = {r.text("用户名") for r in rows}
    existing = {u.username: u for u in session.scalars(select(User).where(User.username.in_(named)))}
    for row in duplicate_rows(rows, lambda r: r.text("用户名") or None, result, "用户名"):
        username, name = row.text("用户名"), row.text("姓名")
        problems_before = len(result.problems)
        if not username or len(username) > 50 or ROLE_SEPARATORS.search(username):
            result.refuse(row, "用户名不能为空、不含空格，且不超过50字")
        roles, scope, phone = _roles(row, result), _scope(town, row, "管辖范围", result), _phone(row, "电话", result)
        user = existing.get(username) if username else None
        if user is not None and not town.contains(user.scope):
            result.refuse(row, f"用户名“{username}”已被{town.name}以外的账号使用")
        if len(result.problems) > problems_before:
            continue
        if user is None:
            password = new_password()
            # a generated one-time password (printed once) is changed at the first login; the demo's is not
            accounts.create_user(session, username=username, display_name=name, password=password, roles=roles,
                                 scope=scope, now=now, phone=phone,
                                 must_change_password=new_password is initial_password)
            created.append(NewAccount(username, name or username, password))
            result.count(username, created=True, changed=False)
            continue
        changed = ((name or username), set(roles), scope.id, phone) != (user.display_name, user.roles, user.scope_id,
                                                                         user.phone)
        result.count(username, created=False, changed=changed)
        if changed:
            accounts.update_user(session, user, display_name=name, roles=roles, scope=scope, phone=phone,
                                 enabled=user.is_enabled)
    return result


def _export_accounts(session: Session, town: GridNode) -> list[list[object]]:
    query = select(User).join(User.scope).where(GridNode.path.startswith(town.path)).order_by(User.username)
    return [[u.username, u.display_name, "、".join(u.role_labels), u.scope.display_path(), u.phone]
            for u in session.scalars(query)]


# --- grid posts -----------------------------------------------------------------------------------------

def _import_posts(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
    result = SheetResult()
    # every node's posts read at once: no lazy load (and autoflush) per row
    session.scalars(select(GridNode).where(GridNode.path.startswith(town.path))
                    .options(selectinload(GridNode.posts))).all()
    named = {r.text("账号") for r in rows if r.text("账号")}
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(named)))} if named else {}
    for row in duplicate_rows(rows, lambda r: (r.text("网格"), r.text("职务"), r.text("姓名")), result,
                              "网格、职务和姓名"):
        problems_before = len(result.problems)
        node, phone = _scope(town, row, "网格", result), _phone(row, "电话", result)
        post, person, username = POST_KEYS.get(row.text("职务")), row.text("姓名"), row.text("账号")
        if post is None:
            result.refuse(row, f"未知的职务“{row.text('职务')}”（可选：{'、'.join(GRID_POSTS.values())}）")
        if not person:
            result.refuse(row, "“姓名”不能为空")
        user = users.get(username) if username else None
        if username and (user is None or not town.contains(user.scope)):
            result.refuse(row, f"未知的账号“{username}”（账号须在本镇，或在“{ACCOUNTS}”表中）")
        if len(result.problems) > problems_before:
            continue
        existing = next((p for p in node.posts if p.post == post and p.person_name == person), None)
        changed = existing is not None and (existing.phone, existing.user_id) != (phone, user.id if user else None)
        result.count(f"{node.display_path()} {GRID_POSTS[post]} {person}", created=existing is None, changed=changed)
        if existing is None:
            node.posts.append(GridPost(post=post, person_name=person, phone=phone, user=user))
        elif changed:
            existing.phone, existing.user = phone, user
    session.flush()
    return result


def _export_posts(session: Session, town: GridNode) -> list[list[object]]:
    order = list(GRID_POSTS)
    return [[node.display_path(), post.post_label, post.person_name, post.phone, post.user and post.user.username or ""]
            for node in _nodes(session, town) for post in sorted(node.posts, key=lambda p: (order.index(p.post), p.id))]


# --- committee member units ------------------------------------------------------------------------------

def _committee(session: Session, town: GridNode) -> list[CommitteeMember]:
    query = select(CommitteeMember).where(CommitteeMember.town_id == town.id)
    return list(session.scalars(query.order_by(CommitteeMember.sort_order, CommitteeMember.id)))


def _import_committee(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
    result = SheetResult()
    members = {m.organ: m for m in _committee(session, town)}
    for row in duplicate_rows(rows, lambda r: r.text("成员单位") or None, result, "成员单位"):
        problems_before = len(result.problems)
        organ, role, contact = row.text("成员单位"), COMMITTEE_KEYS.get(row.text("职务")), row.text("联系人")
        phone = _phone(row, "电话", result)
        if not organ or len(organ) > 100:
            result.refuse(row, "“成员单位”不能为空，且不超过100字")
        if role is None:
            result.refuse(row, f"未知的职务“{row.text('职务')}”（可选：{'、'.join(COMMITTEE_LABELS.values())}）")
        if len(result.problems) > problems_before:
            continue
        existing = members.get(organ)
        changed = existing is not None and (existing.committee_role, existing.contact_person, existing.phone) != (
            role, contact, phone)
        result.count(organ, created=existing is None, changed=changed)
        if existing is None:
            members[organ] = CommitteeMember(town=town, organ=organ, committee_role=role, contact_person=contact,
                                             phone=phone, sort_order=len(members))
            session.add(members[organ])
        elif changed:
            existing.committee_role, existing.contact_person, existing.phone = role, contact, phone
    session.flush()
    return result


def _export_committee(session: Session, town: GridNode) -> list[list[object]]:
    return [[m.organ, COMMITTEE_LABELS.get(m.committee_role, m.committee_role), m.contact_person, m.phone]
            for m in _committee(session, town)]


# --- the workbook ---------------------------------------------------------------------------------------

ImportRows = Callable[[Session, GridNode, list[SheetRow]], SheetResult]


def _core_sheets(now: datetime, created: list[NewAccount], new_password: Callable[[], str]) -> list[WorkbookSheet]:
    """The core's sheets in workbook order; `now`, `created` and `new_password` serve the import of units and
    accounts."""

    def accounts_rows(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
        return _import_accounts(session, town, rows, now=now, created=created, new_password=new_password)

    def unit_rows(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
        return _import_units(session, town, rows, now=now)

    return [
        WorkbookSheet(GRID, ("村（社区）", "小网格"), ("村（社区）", "小网格"), _export_grid, _import_grid,
                      "一行一个村（社区），或一个村（社区）下的小网格；已有的网格不会重复建立。"),
        WorkbookSheet(UNITS, tuple(unit_ledger.HEADERS), tuple(unit_ledger.HEADERS[:3]), _export_units, unit_rows,
                      "与单位台账相同；所属网格填“村/小网格”；同一网格内同名单位将被更新。"),
        WorkbookSheet(POSTS, ("网格", "职务", "姓名", "电话", "账号"), ("网格", "职务", "姓名"), _export_posts,
                      _import_posts, "职务填网格长、网格员或楼院长；网格填镇名或“村/小网格”；有系统账号的填其用户名。"),
        WorkbookSheet(ACCOUNTS, ("用户名", "姓名", "角色", "管辖范围", "电话"), ("用户名", "姓名", "角色", "管辖范围"),
                      _export_accounts, accounts_rows,
                      f"角色用“、”分隔（{'、'.join(ROLES.values())}）；新账号的初始密码随机生成，导入后只显示一次。"),
        WorkbookSheet(COMMITTEE, ("成员单位", "职务", "联系人", "电话"), ("成员单位", "职务"), _export_committee,
                      _import_committee, "职务填主任、副主任或成员。"),
    ]


def sheets(now: datetime | None = None, created: list[NewAccount] | None = None,
           new_password: Callable[[], str] = initial_password) -> list[WorkbookSheet]:
    """Every sheet of the workbook, in workbook order: the core's, the registers' (器材存放点), then each
    procedure's."""
    return [*_core_sheets(now or datetime.now().astimezone(), created if created is not None else [], new_password),
            equipment_points.SHEET, *registry.workbook_sheets()]


# Accounts before the units and posts that may name them; grid first for every path.
APPLY_ORDER = [GRID, ACCOUNTS, UNITS, POSTS, COMMITTEE]


def _build(rows_of: Callable[[WorkbookSheet], list[list[object]]]) -> bytes:
    book = empty_book()
    notes = []
    for sheet in sheets():
        page = add_table(book, sheet.title, sheet.headers, [max(12, len(h) * 2 + 4) for h in sheet.headers])
        for values in rows_of(sheet):
            append_row(page, list(values))
        notes.append([sheet.title, sheet.note])
    _add_choices(book)
    guide = add_table(book, "说明", ["工作表", "填写说明"], (12, 90))
    append_row(guide, ["全部", "导入时先检查每一张表的每一行，任何一行有错误则不导入任何数据；"
                               "表中没有的记录不会被删除。"])
    for values in notes:
        append_row(guide, values)
    return to_bytes(book)


def _add_choices(book: Workbook) -> None:
    """Drop-downs for the columns with fixed choices."""
    lists = book.create_sheet("类别")
    for label in UNIT_CATEGORIES.values():
        append_row(lists, [label])
    for title, column, formula in ((UNITS, "B", f"=类别!$A$1:$A${len(UNIT_CATEGORIES)}"),
                                   (POSTS, "B", f'"{",".join(GRID_POSTS.values())}"'),
                                   (COMMITTEE, "B", f'"{",".join(COMMITTEE_LABELS.values())}"')):
        validation = DataValidation(type="list", formula1=formula, allow_blank=True)
        book[title].add_data_validation(validation)
        validation.add(f"{column}2:{column}5000")


def blank_template() -> bytes:
    """The empty workbook, every sheet with its header row and a sheet of instructions."""
    return _build(lambda sheet: [])


def filled_workbook(rows: dict[str, list[list[object]]]) -> bytes:
    """The template filled with the given rows by sheet title (e.g. the demo's organisation, which is
    loaded through `import_workbook` like any town's)."""
    return _build(lambda sheet: rows.get(sheet.title, []))


def export_workbook(session: Session, town: GridNode) -> bytes:
    """The town's organisation as it is now, in the template's format (import it back unchanged)."""
    return _build(lambda sheet: sheet.export_rows(session, town))


def _read(stream: IO[bytes], known: list[WorkbookSheet]) -> dict[str, list[SheetRow]]:
    """The filled rows of each known sheet present in the file; raises WorkbookRefused for a missing header."""
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a file that is not xlsx
        raise InvalidInput("无法读取该文件，请上传 .xlsx 格式的组织架构工作簿。") from error
    by_title = {sheet.title: sheet for sheet in known}
    found: dict[str, list[SheetRow]] = {}
    problems = []
    for page in book.worksheets:
        title = SHEET_ALIASES.get(page.title, page.title)
        if title not in by_title or title in found:
            continue
        values = page.iter_rows(values_only=True)
        header = [cell_text(cell) for cell in next(values, ())]
        missing = [h for h in by_title[title].required if h not in header]
        if missing:
            problems.append(RowProblem(title, 1, f"表头缺少：{'、'.join(missing)}，请使用系统提供的模板"))
        found[title] = [SheetRow(number, dict(zip(header, row, strict=False)))
                        for number, row in enumerate(values, start=2) if any(cell_text(v) for v in row)]
    if problems:
        raise WorkbookRefused(problems)
    if not any(found.values()):
        raise InvalidInput(f"文件中没有可导入的数据（工作表：{'、'.join(by_title)}）。")
    return found


def import_workbook(session: Session, town: GridNode, stream: IO[bytes], *, now: datetime,
                    new_password: Callable[[], str] = initial_password) -> OrgImportResult:
    """Import the town's organisation from the workbook. Any refused row → WorkbookRefused naming every one
    (sheet, row, reason), and the caller rolls back: nothing is imported. New accounts get `new_password()`:
    a random one each, shown once (the demo passes its shared password)."""
    created: list[NewAccount] = []
    known = sheets(now, created, new_password)
    rows = _read(stream, known)
    order = {title: index for index, title in enumerate(APPLY_ORDER)}
    results: dict[str, SheetResult] = {}
    for sheet in sorted(known, key=lambda s: order.get(s.title, len(order))):
        if sheet.title in rows:
            results[sheet.title] = sheet.import_rows(session, town, rows[sheet.title])
    refused = [RowProblem(sheet.title, number, reason) for sheet in known if sheet.title in results
               for number, reason in sorted(results[sheet.title].problems, key=lambda p: p[0])]
    if refused:
        raise WorkbookRefused(refused)
    session.flush()
    return OrgImportResult([(s.title, results[s.title]) for s in known if s.title in results], created)
