"""会议通知 (meeting notice): the red-header 通知 that calls the attending member units to a sitting.

安排会议 drafts it from the step's data (the clerk previews it while scheduling); at 会议通知印发 the clerk
reads it once more and issues it: only then is it numbered, under the 发文字号 of the organ that convenes
the series (消安委 or 党政办), rendered with the shared `notice` template and stored with the meeting case.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.models import Document, GridNode, ProcessInstance, User
from webapp.procedures.meeting.meetings import series_by_key, split_lines, town_of
from webapp.procedures.meeting.models import MeetingSeries
from webapp.services import documents
from webapp.services.documents import DocumentServices, Subject
from webapp.services.errors import InvalidInput

TEMPLATE = "notice"  # the 通知 template every 发文 uses: the same red header, 文号, 署名 and 版记
STEP = "notice"
DEFAULT_REQUIREMENTS = (
    "请各参会单位主要负责同志准时参会，提前10分钟到场签到，会议期间将手机调至静音。\n"
    "参会人员原则上不得请假；确因特殊情况不能参会的，须于会前1个工作日向会议联系人书面请假，"
    "经同意后安排熟悉情况的同志代为参会。\n"
    "请各单位围绕会议议程做好汇报准备，书面汇报材料于会前1个工作日报送会议联系人。"
)
WEEKDAYS = "一二三四五六日"


def sitting_series(session: Session, town: GridNode, data: dict) -> list[MeetingSeries]:
    """The series the sitting is scheduled under, then every other series ticked for it."""
    main = series_by_key(session, town, str(data.get("series_key") or ""))
    extra = [series_by_key(session, town, str(key)) for key in data.get("extra_series") or []]
    return list({s.id: s for s in [main, *extra]}.values())


def sitting_name(held_on: date, series: list[MeetingSeries]) -> str:
    """2026年3月双月联席会议暨季度消防工作会议: one sitting, every series it counts for."""
    return f"{held_on.year}年{held_on.month}月{'暨'.join(s.name for s in series)}"


def held_on_of(data: dict) -> date:
    try:
        return date.fromisoformat(str(data.get("held_on") or "")[:10])
    except ValueError as error:
        raise InvalidInput("请填写会议日期。", fields={"held_on": "请填写会议日期。"}) from error


def spoken_time(held_on: date, start_time: str) -> str:
    """2026年3月10日（星期二）上午9:00."""
    day = f"{held_on.year}年{held_on.month}月{held_on.day}日（星期{WEEKDAYS[held_on.weekday()]}）"
    hour, _, minute = (start_time or "").partition(":")
    if not hour.isdigit() or not minute.isdigit():
        return day
    half = "上午" if int(hour) < 12 else "下午"
    return f"{day}{half}{int(hour) - 12 if int(hour) > 12 else int(hour)}:{minute}"


def printer_of(organ: str) -> str:
    """印发机关: the office of the convening organ (党政办公室 prints its own)."""
    return organ if organ.endswith("办公室") else f"{organ}办公室"


def notice_context(session: Session, town: GridNode, data: dict, *, today: date, number: str = "") -> dict:
    """The `notice` template's context from the 安排会议 data (a preview has no number yet)."""
    series = sitting_series(session, town, data)
    prefix = documents.number_prefix(session, town, series[0].notice_prefix_key)
    held_on = held_on_of(data)
    name = sitting_name(held_on, series)
    units = [str(unit) for unit in data.get("invited") or []]
    issued_on = str(data.get("notice_date") or today.isoformat())
    body = [
        {"level": 0, "text": f"经研究，定于{held_on.year}年{held_on.month}月{held_on.day}日召开"
                             f"{'暨'.join(s.name for s in series)}。现将有关事项通知如下："},
        {"level": 1, "text": "会议时间"}, {"level": 0, "text": spoken_time(held_on, str(data.get("start_time") or ""))},
        {"level": 1, "text": "会议地点"}, {"level": 0, "text": str(data.get("place") or "")},
        {"level": 1, "text": "参会人员"}, {"level": 0, "text": f"{'、'.join(units)}主要负责同志各1名。"},
        {"level": 1, "text": "会议议程"},
        *({"level": 3, "text": item} for item in split_lines(data.get("agenda"))),
        {"level": 1, "text": "有关要求"},
        *({"level": 0, "text": line} for line in split_lines(data.get("requirements"))),
        {"level": 1, "text": "联系方式"},
        {"level": 0, "text": f"联系人：{data.get('contact') or ''}，联系电话：{data.get('contact_phone') or ''}。"},
    ]
    return {
        "organ_mark": f"{prefix.organ}文件",
        "doc_number": number or f"{prefix.prefix}〔{today.year}〕　号",
        "title": f"关于召开{name}的通知", "addressees": units, "body": body, "attachments": [],
        "signature": prefix.organ, "date": issued_on, "note": None,
        "cc": split_lines(str(data.get("cc") or "").replace("、", "\n").replace("，", "\n")),
        "issuer": printer_of(prefix.organ), "issue_date": issued_on,
    }


def issue_notice(session: Session, docs: DocumentServices, *, instance: ProcessInstance, data: dict,
                 user: User | None, now: datetime) -> Document:
    """会议通知印发: allocate the convening organ's next 文号, render and store the notice with the case."""
    town = town_of(instance.grid)
    context = notice_context(session, town, {**data, "notice_date": now.date().isoformat()}, today=now.date())
    prefix_key = sitting_series(session, town, data)[0].notice_prefix_key
    return documents.issue(session, docs, template_key=TEMPLATE, context=context, title=context["title"],
                           prefix_key=prefix_key, subject=Subject(instance.grid, None, instance, STEP),
                           user=user, now=now)


def check_prefix(session: Session, instance: ProcessInstance, data: dict) -> None:
    """At 安排会议: the organ's 发文字号 must be set before a notice can be drafted (says which, in Chinese)."""
    town = town_of(instance.grid)
    documents.number_prefix(session, town, sitting_series(session, town, data)[0].notice_prefix_key)


def notice_of(session: Session, instance: ProcessInstance) -> Document | None:
    """The case's issued 会议通知 (the latest version, should it have been corrected)."""
    return session.scalar(select(Document).where(Document.instance_id == instance.id, Document.step_key == STEP)
                          .order_by(Document.id.desc()).limit(1))
