"""Units and places (单位、场所): lookups bound to the user's scope, search, create and edit; 一户一码: a unit by
its code, what its public card may show, and each town's card settings; the 九小场所 warning signs (消防安全警示牌):
each town's wording per category and what a unit's sign shows."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from webapp.documents import unit_labels, warning_signs
from webapp.models import GridNode, GridPost, Job, Unit, UnitCardSettings, User, WarningSignText
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


def _qr_chunk(job: Job, targets: list[tuple[str, str]]) -> dict[str, bytes] | None:
    """One chunk of a QR job: the next LABEL_CHUNK QR codes of (code, url) targets, kept in the job until all
    are made; then every code's PNG (None while some are still to make)."""
    made = dict(job.result.get("png", {}))
    for code, url in targets[job.done:job.done + LABEL_CHUNK]:
        made[code] = base64.b64encode(unit_labels.qr_png(url)).decode("ascii")
    job.done, job.phase = len(made), "生成二维码"
    if job.done < len(targets):
        job.result = {"png": made}
        return None
    return {code: base64.b64decode(png) for code, png in made.items()}


def _store_result(session: Session, job: Job, runtime: Any, content: bytes, now: datetime) -> bool:
    stored = runtime.documents.store.put(session, content, DOCX_TYPE, now)
    job.result, job.phase = {"sha256": stored.sha256}, "已完成"
    return True


def _label_step(session: Session, job: Job, runtime: Any, now: datetime) -> bool:
    """QR codes chunk by chunk; after the last chunk the sheet's DOCX, stored in the file store."""
    labels = job.params["labels"]
    made = _qr_chunk(job, [(code, url) for _name, code, url in labels])
    if made is None:
        return False
    sheet = unit_labels.label_sheet([unit_labels.Label(name, code, url, made[code]) for name, code, url in labels],
                                    job.params["title"])
    return _store_result(session, job, runtime, sheet, now)


LABEL_JOB = jobs.JobKind(key=LABEL_JOB_KIND, title="单位二维码标签生成", step=_label_step)


def label_job(session: Session, user: User, job_id: int, kind: str = LABEL_JOB_KIND) -> Job:
    """A QR job (label sheet or warning signs) of this user (another's is not found: its units may be
    outside this user's scope)."""
    job = jobs.get_job(session, job_id)
    if job.kind != kind or job.params.get("user_id") != user.id:
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
# 九小场所 消防安全警示牌: each town's wording per category (else the product's), the signs and their job.
SIGN_JOB_KIND = "warning_signs"


def sign_texts(session: Session, town: GridNode) -> dict[str, warning_signs.SignText]:
    """The wording of every category's sign in this town: its admin's where saved, else the default."""
    saved = {row.category: row for row in session.scalars(
        select(WarningSignText).where(WarningSignText.town_id == town.id))}
    texts = {}
    for category in UNIT_CATEGORIES:
        row = saved.get(category)
        texts[category] = (warning_signs.SignText(row.hazard, tuple(row.precautions.splitlines()))
                           if row else warning_signs.default_text(category))
    return texts


def customised_categories(session: Session, town: GridNode) -> set[str]:
    return set(session.scalars(select(WarningSignText.category).where(WarningSignText.town_id == town.id)))


def save_sign_text(session: Session, town: GridNode, category: str, *, hazard: str,
                   precautions: str) -> WarningSignText:
    """Save a town's wording of one category's sign; every problem is named beside its field at once."""
    if category not in UNIT_CATEGORIES:
        raise NotFound("没有这个单位类别。")
    hazard = " ".join(hazard.split())
    items = [line.strip() for line in precautions.splitlines() if line.strip()]
    problems = {}
    if not hazard or len(hazard) > warning_signs.MAX_HAZARD_CHARS:
        problems["hazard"] = f"请填写场所火灾危险性（不超过{warning_signs.MAX_HAZARD_CHARS}字，警示牌才排得下一页）。"
    too_long = [n for n, item in enumerate(items, start=1) if len(item) > warning_signs.MAX_PRECAUTION_CHARS]
    if not items or len(items) > warning_signs.MAX_PRECAUTIONS:
        problems["precautions"] = f"请填写1至{warning_signs.MAX_PRECAUTIONS}条消防安全事项，每行一条。"
    elif too_long:
        problems["precautions"] = (f"第{'、'.join(map(str, too_long))}条超过{warning_signs.MAX_PRECAUTION_CHARS}字，"
                                   "请精简。")
    if problems:
        raise InvalidInput(f"共{len(problems)}处需要修改。", fields=problems)
    row = session.get(WarningSignText, (town.id, category)) or WarningSignText(town_id=town.id, category=category)
    row.hazard, row.precautions = hazard, "\n".join(items)
    session.add(row)
    session.flush()
    return row


def reset_sign_text(session: Session, town: GridNode, category: str) -> None:
    """Back to the product's wording for the category."""
    row = session.get(WarningSignText, (town.id, category))
    if row is not None:
        session.delete(row)
        session.flush()


def warning_signs_of(session: Session, found: list[Unit],
                     url_of: Callable[[Unit], str]) -> list[warning_signs.WarningSign]:
    """What each unit's sign shows. The responsible person's phone follows the town's unit-card setting (a
    sign on the door is as public as the card); the supervisor is the one the public card names."""
    towns: dict[int, tuple[UnitCardSettings, dict[str, warning_signs.SignText]]] = {}
    signs = []
    for unit in found:
        town = town_of(unit.grid)
        if town.id not in towns:
            towns[town.id] = (card_settings(session, town), sign_texts(session, town))
        settings, texts = towns[town.id]
        text, post = texts[unit.category], supervisor(unit)
        signs.append(warning_signs.WarningSign(
            unit_name=unit.name, category_label=unit.category_label, hazard=text.hazard,
            precautions=text.precautions, responsible_person=unit.responsible_person,
            responsible_phone=unit.responsible_phone if settings.show_responsible_phone else "",
            supervisor_name=post.person_name if post else "", supervisor_phone=post.phone if post else "",
            report_phone=settings.report_phone, code=unit.code, url=url_of(unit)))
    return signs


def queue_warning_signs(session: Session, signs: list[warning_signs.WarningSign], title: str, *, user: User,
                        now: datetime) -> Job:
    """A background job that makes the signs; what they show is fixed now."""
    params = {"title": title, "user_id": user.id,
              "signs": [{k: v for k, v in asdict(sign).items() if k != "png"} for sign in signs]}
    return jobs.enqueue(session, kind=SIGN_JOB_KIND, now=now, params=params, total=len(signs),
                        subject=f"warning_signs:{user.id}", title=f"生成{title}")


def _sign_step(session: Session, job: Job, runtime: Any, now: datetime) -> bool:
    fields = job.params["signs"]
    made = _qr_chunk(job, [(sign["code"], sign["url"]) for sign in fields])
    if made is None:
        return False
    signs = [warning_signs.WarningSign(**{**sign, "precautions": tuple(sign["precautions"]), "png": made[sign["code"]]})
             for sign in fields]
    return _store_result(session, job, runtime, warning_signs.warning_sign_document(signs, job.params["title"]), now)


SIGN_JOB = jobs.JobKind(key=SIGN_JOB_KIND, title="消防安全警示牌生成", step=_sign_step)
