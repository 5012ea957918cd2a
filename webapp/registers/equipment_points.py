"""器材存放点 (equipment points): the register's rules, its Excel table and its organisation-workbook sheet.

A point belongs to a town and sits on a grid node of it (the town itself, a village or a small grid);
a user sees and edits the points on nodes in their scope. The town is stored too, so names are unique
per town and a town-wide list is one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases.registry import WorkbookSheet
from webapp.documents.register_list import Column, register_docx
from webapp.documents.templates_forms import chars_mm, mm_left
from webapp.models import GridNode, User
from webapp.models.equipment import EquipmentPoint
from webapp.services import grid, units
from webapp.services.errors import InvalidInput
from webapp.services.spreadsheets import SheetResult, SheetRow, duplicate_rows, table_workbook

TITLE = "器材存放点"
HEADERS = ("名称", "所属网格", "地址", "存放器材", "保管人", "联系电话", "最近检查日期")
LIMITS = {"name": 100, "address": 200, "equipment": 1000, "keeper": 50}


@dataclass(frozen=True)
class PointFields:
    name: str
    grid: GridNode
    address: str = ""
    equipment: str = ""  # one line per kind, e.g. "灭火器 10具"
    keeper: str = ""
    keeper_phone: str = ""
    last_checked_on: date | None = None


def points_in_scope(session: Session, user: User) -> list[EquipmentPoint]:
    """The points on grid nodes in the user's scope, by grid then name."""
    query = (select(EquipmentPoint).join(GridNode, EquipmentPoint.grid_id == GridNode.id)
             .where(GridNode.path.startswith(user.scope.path)).order_by(GridNode.path, EquipmentPoint.name))
    return list(session.scalars(query))


def get_point(session: Session, user: User, point_id: int) -> EquipmentPoint:
    """A point in the user's scope; another grid's answers OutOfScope (403, logged by the error handler)."""
    return grid.get_in_scope(session, user, EquipmentPoint, point_id, "器材存放点不存在。")


def _problems(session: Session, town: GridNode, fields: PointFields, point: EquipmentPoint | None,
              today: date) -> dict[str, str]:
    """Every problem of the fields at once, by form field name."""
    problems = {}
    if not fields.name.strip():
        problems["name"] = "请填写存放点名称。"
    for name, limit in LIMITS.items():
        if len(getattr(fields, name) or "") > limit:
            problems[name] = f"不能超过{limit}字。"
    clash = session.scalar(select(EquipmentPoint).where(EquipmentPoint.town_id == town.id,
                                                        EquipmentPoint.name == fields.name.strip()))
    if clash is not None and clash is not point:
        problems["name"] = f"本镇已有名为“{fields.name.strip()}”的器材存放点。"
    if problem := units.phone_problem(fields.keeper_phone.strip()):
        problems["keeper_phone"] = problem + "。"
    if fields.last_checked_on and fields.last_checked_on > today:
        problems["last_checked_on"] = "最近检查日期不能晚于今天。"
    return problems


def save_point(session: Session, user: User, point_id: int | None, fields: PointFields, *,
               today: date) -> EquipmentPoint:
    """Add a point (point_id None) or change one; the grid node must be in the user's scope."""
    grid.ensure_in_scope(user, fields.grid)
    town = grid.town_of(fields.grid)
    if town is None:
        raise InvalidInput("请选择镇（街道）内的网格。", field="grid_id")
    point = get_point(session, user, point_id) if point_id else None
    problems = _problems(session, town, fields, point, today)
    if problems:
        raise InvalidInput(f"共{len(problems)}处需要修改。", fields=problems)
    point = _apply(point or EquipmentPoint(), town, fields)
    session.add(point)
    session.flush()
    return point


def _apply(point: EquipmentPoint, town: GridNode, fields: PointFields) -> EquipmentPoint:
    point.town, point.grid = town, fields.grid
    point.name, point.address, point.equipment = fields.name.strip(), fields.address.strip(), _lines(fields.equipment)
    point.keeper, point.keeper_phone = fields.keeper.strip(), fields.keeper_phone.strip()
    point.last_checked_on = fields.last_checked_on
    return point


def delete_point(session: Session, user: User, point_id: int) -> str:
    point = get_point(session, user, point_id)
    name = point.name
    session.delete(point)
    session.flush()
    return name


def _lines(text: str) -> str:
    """The equipment text one kind a line; "；" (how a spreadsheet cell lists them) also separates."""
    parts = [p.strip() for line in (text or "").splitlines() for p in line.replace(";", "；").split("；")]
    return "\n".join(p for p in parts if p)


# -- the printed list (一览表) ---------------------------------------------------------------------------------

# 序号 · 存放点 (name, grid, address) · 器材 · 保管人 and an eleven-digit phone · a date as 2026-11-05
LIST_WIDTHS = (chars_mm(2), chars_mm(6), 34.0, 30.0)
LIST_COLUMNS = [Column("序号", LIST_WIDTHS[0], centred=True),
                Column("存放点|（网格、地址）", mm_left(*LIST_WIDTHS)), Column("存放器材", LIST_WIDTHS[1]),
                Column("保管人|联系电话", LIST_WIDTHS[2]), Column("最近检查", LIST_WIDTHS[3], centred=True)]


def _place(point: EquipmentPoint) -> list[str]:
    where = point.grid.display_path() if point.grid.level != "town" else "全镇"
    return [point.name, f"（{where}）", *([point.address] if point.address else [])]


def list_docx(points: list[EquipmentPoint], *, title: str, today: date) -> bytes:
    """消防器材存放点一览表: one row per point, the equipment one kind a line."""
    rows = [[str(index), _place(p), p.equipment_lines(), [p.keeper, p.keeper_phone],
             p.last_checked_on.isoformat() if p.last_checked_on else ""] for index, p in enumerate(points, start=1)]
    return register_docx(title, LIST_COLUMNS, rows, subtitle=f"共{len(points)}处", dated=today,
                         empty="暂无器材存放点")


# -- Excel: the register's own table and its sheet of the organisation workbook ------------------------------


def _row(point: EquipmentPoint) -> list[object]:
    where = point.grid.display_path() if point.grid.level != "town" else point.grid.name
    return [point.name, where, point.address, "；".join(point.equipment_lines()), point.keeper, point.keeper_phone,
            point.last_checked_on.isoformat() if point.last_checked_on else ""]


def export_xlsx(points: list[EquipmentPoint], heading: str) -> bytes:
    return table_workbook(TITLE, HEADERS, [_row(p) for p in points], (20, 18, 28, 36, 10, 16, 14),
                          heading=heading, freeze_header=True)


def export_rows(session: Session, town: GridNode) -> list[list[object]]:
    query = (select(EquipmentPoint).join(GridNode, EquipmentPoint.grid_id == GridNode.id)
             .where(EquipmentPoint.town_id == town.id).order_by(GridNode.path, EquipmentPoint.name))
    return [_row(p) for p in session.scalars(query)]


def _row_fields(town: GridNode, row: SheetRow, result: SheetResult) -> PointFields | None:
    where = row.text("所属网格")
    node = town if not where or where == town.name else grid.find_by_display_path(town, where)
    if node is None:
        result.refuse(row, f"所属网格“{where}”不存在（填“村/小网格”、村名，或留空表示全镇）")
        return None
    checked, text = None, row.text("最近检查日期")
    if text:
        try:
            checked = date.fromisoformat(text[:10].replace("/", "-"))
        except ValueError:
            result.refuse(row, f"“最近检查日期”应为如2026-11-05的日期，实际为“{text}”")
            return None
    return PointFields(row.text("名称"), node, row.text("地址"), row.text("存放器材"), row.text("保管人"),
                       row.text("联系电话"), checked)


def import_rows(session: Session, town: GridNode, rows: list[SheetRow]) -> SheetResult:
    """The workbook's rows: a name already in the town updates that point, a new name adds one."""
    result = SheetResult()
    existing = {p.name: p for p in session.scalars(select(EquipmentPoint).where(EquipmentPoint.town_id == town.id))}
    for row in duplicate_rows(rows, lambda r: r.text("名称") or None, result, "名称"):
        fields = _row_fields(town, row, result)
        if fields is None:
            continue
        point = existing.get(fields.name.strip())
        problems = _problems(session, town, fields, point, date.max)
        if problems:
            result.refuse(row, "；".join(problems.values()).replace("。；", "；").rstrip("。"))
            continue
        before = _row(point) if point else None
        point = _apply(point or EquipmentPoint(), town, fields)
        session.add(point)
        result.count(point.name, created=before is None, changed=before is not None and before != _row(point))
        existing[point.name] = point
    session.flush()
    return result


SHEET = WorkbookSheet(TITLE, HEADERS, ("名称", "所属网格"), export_rows, import_rows,
                      "所属网格填“村/小网格”或村名，留空为全镇；"
                      "存放器材每种一项，用“；”分隔，如“灭火器 10具；水带 4盘”。")
