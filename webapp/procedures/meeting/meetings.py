"""Meeting series and meetings: defaults, scheduling, recording, issuing the 纪要, distribution, yearly plan."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, literal, or_, select
from sqlalchemy.orm import Session, selectinload

from webapp.cases.registry import Figure, Measure, Tally
from webapp.models import CommitteeMember, Document, GridNode, NumberPrefix, ProcessInstance, User
from webapp.procedures.meeting.models import Meeting, MeetingDecision, MeetingSeries
from webapp.services import documents, grid
from webapp.services.documents import DocumentServices, Subject
from webapp.services.errors import InvalidInput, NotFound
from webapp.services.grid import in_subtree

# key, name, months between meetings, NumberPrefix key (grammar qi), and the 纪要's mark (版头) a new town
# starts with ({town}: its name)
DEFAULT_SERIES = [
    ("joint", "双月联席会议", 2, "minutes_joint", "{town}消防安全联席会议纪要"),
    ("quarterly", "季度消防工作会议", 3, "minutes_quarterly", "{town}消防工作会议纪要"),
    ("committee", "月度消委会会议", 1, "minutes_committee", "{town}消防安全委员会会议纪要"),
]
# The organ that convenes a default series, by the 发文字号 its 会议通知 is issued under: the quarterly work
# meeting is the government's (党政办); the others the committee's (消安委). The admin may change either.
DEFAULT_NOTICE_PREFIX = {"quarterly": "office_notice"}



def split_lines(text: str | None) -> list[str]:
    """One entry per non-empty line, inner whitespace folded ("单位  姓名" → "单位 姓名")."""
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def ensure_town_series(session: Session) -> None:
    """Every town's default series (a new town gets its own when its prefixes exist)."""
    for town in grid.towns(session):
        ensure_default_series(session, town)


def ensure_default_series(session: Session, town: GridNode) -> list[MeetingSeries]:
    """The seeds' three series for a town, created once for each 纪要 prefix that is configured."""
    existing = {s.key for s in session.scalars(select(MeetingSeries).where(MeetingSeries.town_id == town.id))}
    for order, (key, name, interval, prefix_key, _mark) in enumerate(DEFAULT_SERIES):
        prefix = session.get(NumberPrefix, (town.id, prefix_key))
        if key in existing or prefix is None:
            continue
        notice_key = DEFAULT_NOTICE_PREFIX.get(key, "committee_notice")
        if session.get(NumberPrefix, (town.id, notice_key)) is None:  # a town without a 党政办 代字 yet
            notice_key = "committee_notice"
        session.add(MeetingSeries(town=town, key=key, name=name, interval_months=interval, prefix_key=prefix_key,
                                  issuer=f"{prefix.organ}办公室", notice_prefix_key=notice_key, sort_order=order))
    session.flush()
    return series_of_town(session, town)


def series_of_town(session: Session, town: GridNode) -> list[MeetingSeries]:
    stmt = select(MeetingSeries).where(MeetingSeries.town_id == town.id).order_by(MeetingSeries.sort_order)
    return list(session.scalars(stmt))


def town_of(node: GridNode) -> GridNode:
    """The town whose meetings a node sees; a region-scoped node has no single town."""
    return grid.required_town(node, "会议功能")


def series_by_key(session: Session, town: GridNode, key: str) -> MeetingSeries:
    series = next((s for s in series_of_town(session, town) if s.key == key), None)
    if series is None:
        raise InvalidInput("请选择会议类型。")
    return series


def members(session: Session, town: GridNode) -> list[CommitteeMember]:
    stmt = select(CommitteeMember).where(CommitteeMember.town_id == town.id).order_by(CommitteeMember.sort_order)
    return list(session.scalars(stmt))


def villages(town: GridNode) -> list[GridNode]:
    return [child for child in town.children if child.level == "village"]


def meeting_of(session: Session, instance: ProcessInstance) -> Meeting | None:
    return session.scalar(select(Meeting).where(Meeting.instance_id == instance.id))


def schedule(session: Session, instance: ProcessInstance, data: dict) -> Meeting:
    """安排会议: create or update the meeting row of the case from the schedule step's data, with the other
    series the sitting counts for."""
    town = town_of(instance.grid)
    series = series_by_key(session, town, str(data["series_key"]))
    meeting = meeting_of(session, instance) or Meeting(series=series, instance=instance)
    meeting.series = series
    extra = [series_by_key(session, town, str(key)) for key in data.get("extra_series") or []]
    meeting.extra_series = [s for s in dict.fromkeys(extra) if s.id != series.id]
    meeting.held_on = date.fromisoformat(str(data["held_on"])[:10])
    meeting.place, meeting.chair, meeting.recorder = data["place"], data["chair"], data["recorder"]
    meeting.invited = list(data.get("invited") or [])
    session.add(meeting)
    session.flush()
    return meeting


def record(session: Session, instance: ProcessInstance, data: dict) -> Meeting:
    """会后记录: attendance lists; the decisions stay in the case data until the minutes are signed."""
    meeting = _meeting_or_404(session, instance)
    meeting.attendees = list(data["attendee_list"])
    meeting.absentees = list(data["absentee_list"])
    meeting.observers = list(data["observer_list"])
    meeting.status = "held"
    session.flush()
    return meeting


def _meeting_or_404(session: Session, instance: ProcessInstance) -> Meeting:
    meeting = meeting_of(session, instance)
    if meeting is None:
        raise NotFound("该案件没有对应的会议。")
    return meeting


def minutes_context(session: Session, meeting: Meeting, data: dict, today: date) -> dict:
    """The `minutes` template context (manifest fields) from the meeting and the recorded data."""
    prefix = documents.number_prefix(session, meeting.series.town, meeting.series.prefix_key)
    return {
        "mark": prefix.prefix, "issue_no": meeting.issue_no or 0, "issuer": meeting.series.issuer,
        "date": today.isoformat(), "issue_date": today.isoformat(),
        "meeting": {"name": meeting_name(meeting), "date": meeting.held_on.isoformat(), "place": meeting.place,
                    "chair": meeting.chair, "recorder": meeting.recorder, "summary": _summary(data)},
        "decisions": [{"title": d["title"], "text": _sentence(d["text"]), "owner": d["owner_name"],
                       "deadline": d["deadline"]} for d in data.get("decision_items") or []],
        "attachments": list(data.get("attachment_names") or []),
        "attendees": list(meeting.attendees), "absentees": list(meeting.absentees),
        "observers": list(meeting.observers), "cc": [f"{meeting.series.town.name}消防安全委员会各成员单位"],
    }


def meeting_name(meeting: Meeting) -> str:
    """2026年3月双月联席会议 (暨 the other series the sitting counts for)."""
    names = "暨".join(s.name for s in meeting.all_series)
    return f"{meeting.held_on.year}年{meeting.held_on.month}月{names}"


def _summary(data: dict) -> str:
    agenda = list(data.get("agenda_items") or [])
    topics = f"会议议题：{'；'.join(agenda)}。" if agenda else ""
    return topics + _sentence(data.get("summary"))


def _sentence(text: object) -> str:
    text = str(text or "").strip()
    return text if not text or text[-1] in "。！？；" else text + "。"


@dataclass
class Issued:
    meeting: Meeting
    document: Document


def issue_minutes(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                  user: User | None, now: datetime) -> Issued:
    """签发 → 第N期 → 纪要 rendered and stored, and every decision becomes a tracked item."""
    meeting = _meeting_or_404(session, instance)
    if now.date() < meeting.held_on:
        raise InvalidInput(f"会议定于{meeting.held_on.isoformat()}召开，纪要不能在会议之前签发。")
    context = minutes_context(session, meeting, data, now.date())
    document = documents.issue(session, docs, template_key="minutes", context=context,
                               title=f"{meeting_name(meeting)}纪要", prefix_key=meeting.series.prefix_key,
                               subject=Subject(instance.grid, None, instance, "sign"), user=user, now=now,
                               number_field="issue_no")
    meeting.document, meeting.status = document, "issued"
    meeting.issue_no = _issue_serial(document)
    items = data.get("decision_items") or []
    meeting.decisions = [_decision(session, index, entry) for index, entry in enumerate(items)]
    session.flush()
    return Issued(meeting, document)


def _issue_serial(document: Document) -> int | None:
    digits = "".join(ch for ch in (document.number or "").rsplit("第", 1)[-1] if ch.isdigit())
    return int(digits) if digits else None


def _decision(session: Session, index: int, entry: dict) -> MeetingDecision:
    kind, _, ident = str(entry["owner"]).partition(":")
    member = session.get(CommitteeMember, int(ident)) if kind == "member" else None
    grid = member.town if member else session.get(GridNode, int(ident))
    if grid is None:
        raise InvalidInput(f"议定事项“{entry['title']}”的责任单位不存在。")
    return MeetingDecision(seq=index + 1, title=entry["title"], text=entry["text"], owner_name=entry["owner_name"],
                           member=member, grid=grid, deadline=date.fromisoformat(entry["deadline"]))


def distribute(session: Session, instance: ProcessInstance, recipients: list[str], now: datetime) -> Meeting:
    """分送: record to which attending units the issued 纪要 went, and when."""
    meeting = _meeting_or_404(session, instance)
    allowed = set(attending_units(meeting))
    unknown = [name for name in recipients if name not in allowed]
    if not recipients or unknown:
        raise InvalidInput("请从出席单位中选择分送对象。")
    meeting.distributed_to, meeting.distributed_at = list(recipients), now
    session.flush()
    return meeting


def attending_units(meeting: Meeting) -> list[str]:
    """Unit names of the 出席 entries ("单位 姓名" → 单位), in order, without repeats."""
    return list(dict.fromkeys(entry.split()[0] for entry in meeting.attendees if entry.split()))


def meetings_of_series(session: Session, series: MeetingSeries, year: int) -> list[Meeting]:
    """The year's sittings that count for the series: its own, and those of other series it was ticked on."""
    counts = or_(Meeting.series_id == series.id, Meeting.extra_series.any(MeetingSeries.id == series.id))
    # what the 会议计划 shows of each sitting (its case's grid, its 纪要, its own series) in three more queries
    # for the whole list, not three per sitting
    stmt = (select(Meeting).where(counts, Meeting.held_on >= date(year, 1, 1),
                                  Meeting.held_on <= date(year, 12, 31)).order_by(Meeting.held_on)
            .options(selectinload(Meeting.instance).joinedload(ProcessInstance.grid), selectinload(Meeting.document),
                     selectinload(Meeting.series)))
    return list(session.scalars(stmt))


@dataclass
class PlanPeriod:
    label: str  # 第2期间（3—4月）
    first_day: date
    last_day: date
    meetings: list[Meeting]
    state: str  # held | scheduled | missed | due | future

    @property
    def state_label(self) -> str:
        return PLAN_STATES[self.state]


PLAN_STATES = {"held": "已召开", "scheduled": "已安排", "missed": "未召开（已逾期）", "due": "本期待召开",
               "future": "未到期", "as_needed": "不定期，按需召开"}
# The organs whose 会议通知 may convene a series, by the 发文字号 key the notice is issued under.
NOTICE_ORGANS = {"committee_notice": "消防安全委员会（消安委）", "office_notice": "党政办公室（党政办）"}
# How often a series meets (months between meetings); 0: as needed, never due.
INTERVALS = {1: "每月", 2: "每两个月", 3: "每季度", 6: "每半年", 12: "每年", 0: "不定期"}


def meetings_by_series(session: Session, series: list[MeetingSeries], year: int) -> dict[int, list[Meeting]]:
    """`meetings_of_series` of each of the series, read together: the 会议计划 shows every series of the town, and
    four statements per series were most of its statements."""
    ids = [s.id for s in series]
    if not ids:
        return {}
    counts = or_(Meeting.series_id.in_(ids), Meeting.extra_series.any(MeetingSeries.id.in_(ids)))
    stmt = (select(Meeting).where(counts, Meeting.held_on >= date(year, 1, 1),
                                  Meeting.held_on <= date(year, 12, 31)).order_by(Meeting.held_on, Meeting.id)
            .options(selectinload(Meeting.instance).joinedload(ProcessInstance.grid), selectinload(Meeting.document),
                     selectinload(Meeting.series), selectinload(Meeting.extra_series)))
    found = list(session.scalars(stmt))
    return {s.id: [m for m in found if m.series_id == s.id or any(x.id == s.id for x in m.extra_series)]
            for s in series}


def yearly_plan(session: Session, series: MeetingSeries, year: int, today: date,
                meetings: list[Meeting] | None = None) -> list[PlanPeriod]:
    """Each period of the year with its meetings: held (纪要 issued or meeting held) vs due. ``meetings``: the
    series' sittings of the year when already read (`meetings_by_series`)."""
    if meetings is None:
        meetings = meetings_of_series(session, series, year)
    if not series.interval_months:
        state = _state(meetings, date(year, 1, 1), date(year, 12, 31), date.min)
        return [PlanPeriod("全年", date(year, 1, 1), date(year, 12, 31), meetings,
                           "as_needed" if state == "future" else state)]
    plan = []
    for index in range(series.periods_per_year):
        first_month = index * series.interval_months + 1
        last_month = first_month + series.interval_months - 1
        first_day, last_day = date(year, first_month, 1), _month_end(year, last_month)
        inside = [m for m in meetings if first_day <= m.held_on <= last_day]
        label = f"{first_month}月" if first_month == last_month else f"{first_month}—{last_month}月"
        plan.append(PlanPeriod(label, first_day, last_day, inside, _state(inside, first_day, last_day, today)))
    return plan


def _state(meetings: list[Meeting], first_day: date, last_day: date, today: date) -> str:
    if any(m.status in ("held", "issued") for m in meetings):
        return "held"
    if meetings:
        return "scheduled"
    if today > last_day:
        return "missed"
    return "due" if today >= first_day else "future"


def save_series(session: Session, town: GridNode, series_id: int, *, name: str, interval_months: int,
                issuer: str, notice_prefix_key: str) -> MeetingSeries:
    """Change how a series of the town is named, how often it meets, which organ's 会议通知 convenes it
    (its 发文字号 key) and who issues its 纪要."""
    series = next((s for s in series_of_town(session, town) if s.id == series_id), None)
    if series is None:
        raise NotFound("本镇没有这个会议系列。")
    problems = {}
    if not name.strip():
        problems["name"] = "请填写会议名称。"
    elif any(s.name == name.strip() and s is not series for s in series_of_town(session, town)):
        problems["name"] = f"已有会议系列“{name.strip()}”。"
    if interval_months not in INTERVALS:
        problems["interval_months"] = "请选择召开周期。"
    if not issuer.strip():
        problems["issuer"] = "请填写纪要的编发机关。"
    if notice_prefix_key not in NOTICE_ORGANS:
        problems["notice_prefix_key"] = "请选择会议通知的发文机关。"
    if problems:
        raise InvalidInput("；".join(problems.values()), fields=problems)
    series.name, series.interval_months, series.issuer = name.strip(), interval_months, issuer.strip()
    series.notice_prefix_key = notice_prefix_key
    session.flush()
    return series


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def town_figures(session: Session, towns: list[GridNode], now: datetime) -> dict[int, list[Figure]]:
    """For the county overview: meetings of each town's series held so far this year (纪要 issued or not)."""
    held = dict(session.execute(
        select(MeetingSeries.town_id, func.count()).select_from(Meeting)
        .join(MeetingSeries, Meeting.series_id == MeetingSeries.id)
        .where(MeetingSeries.town_id.in_([town.id for town in towns]), Meeting.status.in_(("held", "issued")),
               Meeting.held_on >= date(now.year, 1, 1), Meeting.held_on <= date(now.year, 12, 31))
        .group_by(MeetingSeries.town_id)).all())
    return {town.id: [Figure(f"{now.year}年已召开会议", str(held.get(town.id, 0)), order=50, endpoint="meetings.plan",
                             args=(("town", town.id), ("year", now.year)))] for town in towns}


def _held(stmt: Select, grid: GridNode, start: date, end: date) -> Select:
    """Meetings held in the period by the towns under `grid`."""
    return (stmt.join(MeetingSeries, Meeting.series_id == MeetingSeries.id)
            .join(GridNode, MeetingSeries.town_id == GridNode.id)
            .where(in_subtree(MeetingSeries.town_id, grid), Meeting.status.in_(("held", "issued")),
                   Meeting.held_on >= start, Meeting.held_on <= end))


def held_tallies(session: Session, grid: GridNode, start: date, end: date) -> list[Tally]:
    """召开会议（次） of the reports upward: meetings held in the period by the towns under `grid`."""
    stmt = _held(select(Meeting, MeetingSeries.name, GridNode.path), grid, start, end).order_by(Meeting.held_on,
                                                                                               Meeting.id)
    return [Tally(path, meeting.held_on, series_name, meeting.place, "cases.detail",
                  (("instance_id", meeting.instance_id),)) for meeting, series_name, path in session.execute(stmt)]


def held_per_path(grid: GridNode, start: date, end: date) -> Select:
    """(grid path, 1) per meeting of `held_tallies`: what the dashboards sum (one query for a county's towns)."""
    return _held(select(GridNode.path.label("path"), literal(1).label("weight")).select_from(Meeting),
                 grid, start, end)


MEASURES = (Measure("meetings", "召开会议（次）", held_tallies, order=40, counted=held_per_path),)
