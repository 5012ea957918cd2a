"""单位自助链接: a signed, expiring link (no account) for one rectification notice. Through it the unit uploads
rectification photos (images or PDF only, within the upload limit) and applies for 复查; the re-inspection is
then due 3 working days after the application (procedure.due_date counts from `applied_on`).

The link carries the inspection id signed with the app's secret key (changing it breaks the signature: 403);
its last day is worked out from the case's due dates and checked against the clock, so no table of tokens is
needed, and the link printed on the notice (with its QR code) keeps working after an approved 延期.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.cases import actions
from webapp.cases.runtime import CaseRuntime
from webapp.clock import TZ
from webapp.extensions import take_turns
from webapp.models import WorkTask
from webapp.procedures.inspection.models import Inspection
from webapp.procedures.inspection.referral_models import UnitSubmission
from webapp.services import audit, uploads
from webapp.services.errors import InvalidInput, OutOfScope
from webapp.services.storage.backends import FileBackend

SALT = "inspection-unit-link"
PATH = "/n"  # short, so the address printed under the notice's QR code fits one line
VALID_AFTER_DEADLINE = timedelta(days=30)  # time to apply late, and for 复查 to take place
EXTENSIONS = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/webp": (".webp",),
              "application/pdf": (".pdf",)}  # what the unit may send, and the names each may carry
WAITING_STEP = "early_application"
SIGNATURE_CHARS = 16  # 96 bits of HMAC-SHA256: no guessing, still short to type


def _legacy(secret: str) -> URLSafeSerializer:
    """The first links (slips printed before the notice carried its own) held a JSON payload."""
    return URLSafeSerializer(secret, salt=SALT)


def _signature(secret: str, inspection_id: int) -> str:
    digest = hmac.new(secret.encode(), f"{SALT}:{inspection_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:SIGNATURE_CHARS]


def last_day(inspection: Inspection) -> date:
    """30 days after the latest date a hazard is due (after an approved 延期 or a 约谈, the new one)."""
    dates = [d for h in inspection.hazards for d in (h.due_on, h.deadline) if d]
    start = max(dates, default=None) or inspection.deadline or (inspection.served_on or inspection.inspected_at.date())
    return start + VALID_AFTER_DEADLINE


def token_for(secret: str, inspection: Inspection) -> str:
    """`<inspection id>-<signature>`: the link names its notice only; how long it works is read from the
    case each time (an approved 延期 keeps the printed link working until its new dates)."""
    return f"{inspection.id}-{_signature(secret, inspection.id)}"


def link_url(base: str, secret: str, inspection: Inspection) -> str:
    return f"{base.rstrip('/')}{PATH}/{token_for(secret, inspection)}"


def notice_block(base: str, secret: str, inspection: Inspection, valid_until: date) -> dict | None:
    """What the 整改通知书 prints under its closing lines; nothing without the town's public address
    (FIREGRID_PUBLIC_URL): a link to this machine's local name would not open on the unit's phone."""
    if not base:
        return None
    url = link_url(base, secret, inspection)
    return {"url": url, "qr": url, "valid_until": valid_until.isoformat()}


def _inspection_id(secret: str, token: str) -> int:
    number, _, signature = token.partition("-")
    if number.isdigit() and hmac.compare_digest(signature.encode(), _signature(secret, int(number)).encode()):
        return int(number)
    payload = _legacy(secret).loads(token)
    return int(payload["i"])


def inspection_for(session: Session, secret: str, token: str, now: datetime) -> Inspection:
    """The notice's inspection; a tampered or expired link is refused (403, logged by the error handler)."""
    try:
        inspection_id = _inspection_id(secret, token)
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise OutOfScope("链接无效：请使用整改通知书上打印的完整链接或二维码。") from error
    inspection = session.get(Inspection, inspection_id)
    if inspection is None or not inspection.notice_number:
        raise OutOfScope("链接无效：该整改通知书不存在。")
    if now.date() > last_day(inspection):
        raise OutOfScope("链接已过期，请联系镇（街道）消防安全办公室。")
    return inspection


@dataclass(frozen=True)
class DailyCap:
    """What one notice's link accepts a day (FIREGRID_UNIT_LINK_DAILY_FILES / _MB)."""

    files: int
    megabytes: int


def _checked_type(content: bytes, name: str) -> str | None:
    """The file's type by its content, when it is an image or PDF whose name does not claim another type
    (a PDF or a program renamed "photo.jpg" is refused); a name without an extension claims nothing."""
    media_type = uploads.sniff_type(content, name)
    suffix = "." + name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if media_type not in EXTENSIONS or (suffix and suffix not in EXTENSIONS[media_type]):
        return None
    return media_type


def _sent_today(session: Session, inspection: Inspection, now: datetime) -> tuple[int, int]:
    """Files and bytes this notice's link took since midnight (Beijing)."""
    midnight = datetime.combine(now.astimezone(TZ).date(), time(), TZ)
    rows = session.scalars(select(UnitSubmission.files).where(UnitSubmission.inspection_id == inspection.id,
                                                              UnitSubmission.submitted_at >= midnight))
    files = [f for row in rows for f in row or []]
    return len(files), sum(int(f.get("size") or 0) for f in files)


def store_files(session: Session, store: FileBackend, inspection: Inspection, files: list[tuple[bytes, str]], *,
                max_bytes: int, cap: DailyCap, now: datetime) -> list[dict]:
    """Photos or PDF scans only, each checked by the upload service (content, size), within the day's cap;
    every check runs before anything is stored, and the caller rolls back on an error (no orphan file)."""
    wrong = [name for content, name in files if _checked_type(content, name) is None]
    if wrong:
        message = f"只能上传图片（JPG、PNG、WEBP）或PDF，且文件名与内容相符：{'、'.join(wrong)}"
        raise InvalidInput(message, fields={"files": message})
    if files:  # two posts at once take turns on the notice, so the second counts the first's files
        take_turns(session, Inspection, inspection.id)
    count, size = _sent_today(session, inspection, now)
    if files and (count + len(files) > cap.files
                  or size + sum(len(c) for c, _ in files) > cap.megabytes * 1024 * 1024):
        message = (f"本链接每日最多接收{cap.files}个文件、共{cap.megabytes}MB，今日已接收{count}个"
                   f"（{size / 1024 / 1024:.1f}MB）。请明日再上传，或联系镇（街道）消防安全办公室。")
        raise InvalidInput(message, fields={"files": message})
    return [uploads.store_upload(session, store, content=c, filename=n, now=now, max_bytes=max_bytes) for c, n in files]


def submit(session: Session, runtime: CaseRuntime, inspection: Inspection, *, files: list[dict], applicant: str,
           note: str, apply: bool, now: datetime) -> UnitSubmission:
    """Record what the unit sent; with `apply`, its application for 复查 ends the wait for the deadline."""
    if not applicant.strip():
        raise InvalidInput("请填写提交人。", fields={"applicant": "请填写提交人。"})
    if not files and not apply:
        raise InvalidInput("请上传整改照片，或申请复查。", fields={"files": "请上传整改照片，或申请复查。"})
    row = _record(session, inspection, "reinspection" if apply else "photos", applicant, note, files, now)
    application = {"application": "reinspection", "applied_on": now.date().isoformat(), "applicant": row.applicant,
                   "note": row.note}
    if apply:
        _end_wait(session, runtime, inspection, application, f"单位通过自助链接申请复查（{row.applicant}）", now)
    _audit(session, inspection, row, now)
    return row


def apply_for_extension(session: Session, runtime: CaseRuntime, inspection: Inspection, *, applicant: str,
                        reason: str, measures: str, interim_measures: str, plan_items: list[dict],
                        now: datetime) -> UnitSubmission:
    """申请延期 through the link: the same application (整改计划 with new dates per hazard) the inspector records
    from the case page, dated the day it is sent; it goes to a leader's 审批整改计划 as that one does."""
    row = _record(session, inspection, "extension", applicant, reason, [], now)
    application = {"application": "extension", "applied_on": now.date().isoformat(), "applicant": row.applicant,
                   "note": "", "reason": reason.strip(), "measures": measures.strip(),
                   "interim_measures": interim_measures.strip(), "plan_items": plan_items}
    _end_wait(session, runtime, inspection, application, f"单位通过自助链接申请延期（{row.applicant}）", now)
    _audit(session, inspection, row, now)
    return row


def _record(session: Session, inspection: Inspection, kind: str, applicant: str, note: str, files: list[dict],
            now: datetime) -> UnitSubmission:
    row = UnitSubmission(inspection=inspection, kind=kind, applicant=applicant.strip()[:50], note=note.strip()[:500],
                         files=files, submitted_at=now)
    session.add(row)
    return row


def _end_wait(session: Session, runtime: CaseRuntime, inspection: Inspection, application: dict, opinion: str,
              now: datetime) -> None:
    if not actions.complete_waiting_step(session, runtime, instance=inspection.instance, step_key=WAITING_STEP,
                                         data=application, opinion=opinion, now=now):
        raise InvalidInput("该整改通知书已不在整改期内，无需再申请。")


def _audit(session: Session, inspection: Inspection, row: UnitSubmission, now: datetime) -> None:
    session.flush()
    audit.record(session, at=now, user=None, action="unit_link_submit", object_type="inspection",
                 object_id=inspection.id, summary=f"{inspection.unit.name}：{row.kind_label}（{row.applicant}）")


def submissions(session: Session, inspection: Inspection) -> list[UnitSubmission]:
    """What the unit sent through its link, which only a 整改通知书 gives (`inspection_for`): none without hazards."""
    if not inspection.hazards:
        return []
    return list(session.scalars(select(UnitSubmission).where(UnitSubmission.inspection_id == inspection.id)
                                .order_by(UnitSubmission.id)))


def waiting_for_application(session: Session, inspection: Inspection) -> bool:
    return session.scalar(select(WorkTask.id).where(WorkTask.instance_id == inspection.instance_id,
                                                    WorkTask.step_key == WAITING_STEP)) is not None
