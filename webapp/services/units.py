"""Units and places (单位、场所): lookups bound to the user's scope, search, create and edit; 一户一码: a unit by
its code, what its public card may show, and each town's card settings."""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from webapp.documents import unit_labels
from webapp.models import GridNode, GridPost, Job, Unit, UnitCardSettings, User
from webapp.models.grid import UNIT_CATEGORIES
from webapp.services import jobs
from webapp.services.errors import InvalidInput, NotFound, found
from webapp.services.grid import ensure_in_scope, get_in_scope, town_of

# Mainland mobile (11 digits, 13x–19x) or a landline with its area code and an optional extension.
PHONE_PATTERN = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


@dataclass
class UnitFields:
    """What a form or a spreadsheet row says about a unit."""

    name: str
    category: str
    grid: GridNode
    address: str = ""
    responsible_person: str = ""
    responsible_phone: str = ""
    manager: str = ""
    manager_phone: str = ""
    floor_area: float | None = None
    staff_count: int | None = None
    latitude: float | None = None
    longitude: float | None = None


def point_problem(latitude: float | None, longitude: float | None) -> str | None:
    """A registered point or a check-in needs both coordinates, each within its range (WGS-84 degrees)."""
    if (latitude is None) != (longitude is None):
        return "纬度和经度须同时填写或同时留空"
    if latitude is not None and not (math.isfinite(latitude) and -90 <= latitude <= 90):
        return "纬度应在-90到90之间"
    if longitude is not None and not (math.isfinite(longitude) and -180 <= longitude <= 180):
        return "经度应在-180到180之间"
    return None


def phone_problem(phone: str) -> str | None:
    if phone and not PHONE_PATTERN.match(phone):
        return f"电话号码“{phone}”格式不正确（应为11位手机号，或带区号的固定电话，如0571-81234567）"
    return None


def validate(fields: UnitFields) -> list[str]:
    problems = []
    if not fields.name.strip():
        problems.append("单位名称不能为空")
    if fields.category not in UNIT_CATEGORIES:
        problems.append(f"未知的单位类别“{fields.category}”")
    if fields.grid.level not in ("village", "area"):
        problems.append("单位只能归属到村/社区或小网格")
    for phone in (fields.responsible_phone, fields.manager_phone):
        problem = phone_problem(phone)
        if problem:
            problems.append(problem)
    point = point_problem(fields.latitude, fields.longitude)
    if point:
        problems.append(point)
    return problems


def get_unit(session: Session, user: User, unit_id: int) -> Unit:
    return get_in_scope(session, user, Unit, unit_id, "单位不存在。")


def find_duplicate(session: Session, fields: UnitFields, exclude_id: int | None = None) -> Unit | None:
    stmt = select(Unit).where(Unit.grid_id == fields.grid.id, Unit.name == fields.name.strip())
    if exclude_id:
        stmt = stmt.where(Unit.id != exclude_id)
    return session.scalar(stmt)


def differs(unit: Unit, fields: UnitFields) -> bool:
    """Whether saving `fields` would change `unit` (so an unchanged re-import counts as unchanged)."""
    return any(getattr(unit, name) != (value.strip() if isinstance(value, str) else value)
               for name, value in vars(fields).items())


def units_by_key(session: Session, grid_ids: set[int]) -> dict[tuple[int, str], Unit]:
    """The units of these grids by (grid id, name), read with one query: an import matches its rows here."""
    return {(unit.grid_id, unit.name): unit for unit in session.scalars(select(Unit).where(Unit.grid_id.in_(grid_ids)))}


def save_unit(session: Session, fields: UnitFields, *, now: datetime, unit: Unit | None = None,
              checked: bool = False) -> Unit:
    """Create (unit=None) or update a unit after validating every field. `checked`: an import has validated
    the fields and matched them against the existing units itself, so no query and no flush per row (the
    importer flushes once)."""
    if not checked:
        problems = validate(fields)
        if find_duplicate(session, fields, unit.id if unit else None):
            problems.append(f"“{fields.grid.name}”中已有名为“{fields.name}”的单位")
        if problems:
            raise InvalidInput("单位信息有误：" + "；".join(problems), problems)
    if unit is None:
        unit = Unit(created_at=now)
        session.add(unit)
    for name, value in vars(fields).items():
        setattr(unit, name, value.strip() if isinstance(value, str) else value)
    if not checked:
        session.flush()
    return unit


def search_query(
    user: User, *, text: str = "", category: str = "", grid: GridNode | None = None
) -> Select[tuple[Unit]]:
    """Units in the user's scope (narrowed to `grid` when given), by name/address/person text."""
    root = grid or user.scope
    ensure_in_scope(user, root)
    stmt = select(Unit).join(Unit.grid).where(GridNode.path.startswith(root.path))
    if text.strip():
        like = f"%{text.strip()}%"
        stmt = stmt.where(or_(Unit.name.like(like), Unit.address.like(like), Unit.responsible_person.like(like)))
    if category:
        stmt = stmt.where(Unit.category == category)
    return stmt.order_by(GridNode.path, Unit.name)


def count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


# 一户一码 — who supervises a unit on its public card: the grid's 网格员 first, else its 网格长.
SUPERVISOR_POSTS = ("grid_worker", "grid_head")


@dataclass(frozen=True)
class PublicCard:
    """Everything the public card shows, and nothing more (no case data, no address)."""

    unit_name: str
    responsible_person: str
    responsible_phone: str  # empty unless the town shows it
    supervisor_name: str
    supervisor_phone: str
    report_phone: str


def unit_by_code(session: Session, code: str) -> Unit:
    """The unit of a code as printed or typed: case and surrounding spaces do not matter."""
    return found(session.scalar(select(Unit).where(Unit.code == code.strip().upper())), "没有这个单位码。")


def card_settings(session: Session, town: GridNode) -> UnitCardSettings:
    """The town's settings; defaults (no report phone, responsible phone hidden) until its admin saves them."""
    return session.get(UnitCardSettings, town.id) or UnitCardSettings(
        town_id=town.id, report_phone="", show_responsible_phone=False, checkin_far_metres=DEFAULT_FAR_METRES)


def save_card_settings(session: Session, town: GridNode, *, report_phone: str, show_responsible_phone: bool,
                       checkin_far_metres: int | None = None) -> UnitCardSettings:
    """`checkin_far_metres` None keeps the town's current limit."""
    problem = phone_problem(report_phone.strip())
    if problem and not report_phone.strip().isdigit():  # short hotlines such as 119 or 12345 are numbers too
        raise InvalidInput(problem, field="report_phone")
    if checkin_far_metres is not None and not MIN_FAR_METRES <= checkin_far_metres <= MAX_FAR_METRES:
        raise InvalidInput(f"签到距离提醒应在{MIN_FAR_METRES}到{MAX_FAR_METRES}米之间。", field="checkin_far_metres")
    entry = session.get(UnitCardSettings, town.id) or UnitCardSettings(town_id=town.id,
                                                                      checkin_far_metres=DEFAULT_FAR_METRES)
    entry.report_phone, entry.show_responsible_phone = report_phone.strip(), show_responsible_phone
    if checkin_far_metres is not None:
        entry.checkin_far_metres = checkin_far_metres
    session.add(entry)
    session.flush()
    return entry


def supervisor(unit: Unit) -> GridPost | None:
    """The post that supervises the unit: on its own grid node, else the nearest node above it."""
    for node in [unit.grid, *reversed(unit.grid.ancestors())]:
        for post in SUPERVISOR_POSTS:
            holder = next((p for p in node.posts if p.post == post), None)
            if holder is not None:
                return holder
    return None


def public_card(session: Session, unit: Unit) -> PublicCard:
    town = town_of(unit.grid)
    settings = card_settings(session, town) if town is not None else UnitCardSettings(
        report_phone="", show_responsible_phone=False)
    post = supervisor(unit)
    return PublicCard(
        unit_name=unit.name, responsible_person=unit.responsible_person,
        responsible_phone=unit.responsible_phone if settings.show_responsible_phone else "",
        supervisor_name=post.person_name if post else "", supervisor_phone=post.phone if post else "",
        report_phone=settings.report_phone,
    )


def units_for_labels(session: Session, user: User, node: GridNode) -> list[Unit]:
    """Every unit in the node's subtree, in grid then name order, after the scope check."""
    ensure_in_scope(user, node)
    stmt = select(Unit).join(Unit.grid).where(GridNode.path.startswith(node.path)).order_by(GridNode.path, Unit.name)
    return list(session.scalars(stmt))


# Label sheets of more units than this go to a background job, LABEL_CHUNK QR codes a chunk.
LABEL_JOB_KIND = "unit_labels"
LABEL_CHUNK = 100
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def queue_label_sheet(session: Session, labels: list[unit_labels.Label], title: str, *, user: User,
                      now: datetime) -> Job:
    """A background job that makes the label sheet; the labels (with their URLs) are fixed now."""
    params = {"title": title, "user_id": user.id, "labels": [[lb.name, lb.code, lb.url] for lb in labels]}
    return jobs.enqueue(session, kind=LABEL_JOB_KIND, now=now, params=params, total=len(labels),
                        subject=f"unit_labels:{user.id}", title=f"生成{title}")


def _label_step(session: Session, job: Job, runtime: Any, now: datetime) -> bool:
    """One chunk: the next LABEL_CHUNK QR codes (kept in the job until the sheet is made); after the last,
    the DOCX, stored in the file store."""
    labels = job.params["labels"]
    made = dict(job.result.get("png", {}))
    for _name, code, url in labels[job.done:job.done + LABEL_CHUNK]:
        made[code] = base64.b64encode(unit_labels.qr_png(url)).decode("ascii")
    job.done, job.phase = len(made), "生成二维码"
    if job.done < len(labels):
        job.result = {"png": made}
        return False
    sheet = unit_labels.label_sheet([unit_labels.Label(name, code, url, base64.b64decode(made[code]))
                                     for name, code, url in labels], job.params["title"])
    stored = runtime.documents.store.put(session, sheet, DOCX_TYPE, now)
    job.result, job.phase = {"sha256": stored.sha256}, "已完成"
    return True


LABEL_JOB = jobs.JobKind(key=LABEL_JOB_KIND, title="单位二维码标签生成", step=_label_step)


def label_job(session: Session, user: User, job_id: int) -> Job:
    """A label job of this user (another's is not found: its units may be outside this user's scope)."""
    job = jobs.get_job(session, job_id)
    if job.kind != LABEL_JOB_KIND or job.params.get("user_id") != user.id:
        raise NotFound("后台任务不存在。")
    return job


# Check-ins (inspection, patrol): how far the browser's location is from the unit's registered point.
DEFAULT_FAR_METRES = 300  # a phone's fix in town is good to some tens of metres; a street away is ~300 m
MIN_FAR_METRES, MAX_FAR_METRES = 50, 50_000
EARTH_RADIUS_METRES = 6_371_008.8  # mean radius (IUGG)


def check_in_distance(unit: Unit, lat: float | None, lng: float | None) -> float | None:
    """Great-circle (haversine) distance in metres from the unit's registered point to (lat, lng);
    None when the unit has no point or the check-in has no location."""
    if None in (unit.latitude, unit.longitude, lat, lng):
        return None
    phi1, phi2 = math.radians(unit.latitude), math.radians(lat)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng - unit.longitude)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(min(1.0, math.sqrt(a)))


def far_metres(session: Session, unit: Unit) -> int:
    """The limit of the unit's town (its admin sets it with the public card settings)."""
    town = town_of(unit.grid)
    return card_settings(session, town).checkin_far_metres if town is not None else DEFAULT_FAR_METRES


def is_far(session: Session, unit: Unit, distance: float | None) -> bool:
    """Whether a check-in this many metres from the unit is beyond its town's limit (unknown is not far)."""
    return distance is not None and distance > far_metres(session, unit)


@dataclass(frozen=True)
class CheckIn:
    """A check-in location as stored on an inspection or a patrol: all None when the browser gave none."""

    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None
    distance: float | None = None
    far: bool = False


def checkin_values(data: dict) -> tuple[float | None, float | None, float | None]:
    """(latitude, longitude, accuracy) from a form's data (forms.checkin.CheckinFields): "" is no value."""
    values = []
    for key in ("checkin_latitude", "checkin_longitude", "checkin_accuracy"):
        value = data.get(key)
        try:
            values.append(None if value in (None, "") else float(str(value)))
        except ValueError as error:
            raise InvalidInput("签到位置有误，请刷新页面后重试。", field="checkin_latitude") from error
    return values[0], values[1], values[2]


def check_in(session: Session, unit: Unit, lat: float | None, lng: float | None,
             accuracy: float | None = None) -> CheckIn:
    """The browser's location checked (both or neither, in range) and measured against the unit's point."""
    if lat is None or lng is None:
        return CheckIn()
    problem = point_problem(lat, lng)
    if problem:
        raise InvalidInput(f"签到位置有误：{problem}。", field="checkin_latitude")
    distance = check_in_distance(unit, lat, lng)
    return CheckIn(lat, lng, accuracy if accuracy is not None and accuracy >= 0 else None, distance,
                   is_far(session, unit, distance))
