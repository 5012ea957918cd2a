"""Migration 0034 with data: cases started on the first inspection diagram (one deadline per notice)
keep every hazard, get the notice's deadline on each, and still finish — on their own diagram."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, text

from tests.web.test_inspection_flow import (
    PNG,
    at,
    draft_and_sign_notice,
    serve,
    start_inspection,
    tick,
    unit_in,
)
from webapp.engine import SpecRegistry
from webapp.extensions import db
from webapp.models import ProcessInstance, WorkTask
from webapp.procedures.inspection.models import Inspection

FIRST_DIAGRAM = Path(__file__).parent / "data" / "inspection_first_diagram.bpmn"
PREVIOUS_HEAD = "0033"


def _first_diagram_case(app, session, monkeypatch, tmp_path, inspector, clerk, leader,  # noqa: ANN001, ANN202
                        hazards: dict):
    """A case started while workflows/inspection.bpmn was the first diagram, its notice served."""
    folder = tmp_path / f"first-{len(hazards)}"
    folder.mkdir()
    shutil.copy(FIRST_DIAGRAM, folder / "inspection.bpmn")
    runtime = app.extensions["firegrid.runtime"]
    with monkeypatch.context() as patch:
        patch.setattr(runtime, "specs", SpecRegistry.load(folder))
        case = start_inspection(inspector, session, unit_in(session, "青石村"), hazards)
    draft_and_sign_notice(clerk, leader, session)
    serve(clerk)
    return case


def _reinspect_case(session, inspector, case_id: int, answers: list[str], status: int = 302) -> str:  # noqa: ANN001
    task = session.scalar(select(WorkTask.id).where(WorkTask.instance_id == case_id, WorkTask.step_key == "reinspect"))
    page = inspector.get(f"/tasks/{task}").get_data(as_text=True)
    rows = re.findall(r'name="checks-(\d+)-hazard_id" type="hidden" value="(\d+)"', page)
    data = {"reinspected_on": "2026-10-12"}
    for (index, hazard_id), answer in zip(rows, answers, strict=True):
        data.update({f"checks-{index}-hazard_id": hazard_id, f"checks-{index}-rectified": answer,
                     f"checks-{index}-remark": ""})
    response = inspector.post(f"/tasks/{task}", data)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def _hazards(session, case_id: int) -> list[tuple]:
    session.expire_all()
    inspection = session.scalar(select(Inspection).where(Inspection.instance_id == case_id))
    return [(h.description, h.status, h.deadline, h.due_on) for h in inspection.hazards]


def test_existing_cases_get_the_notice_deadline_per_hazard_and_still_finish(app, session, login_as, monkeypatch,
                                                                          tmp_path):
    clock = app.extensions["firegrid.clock"]
    clock.set(at("2026-09-28T09:40"))
    inspector, clerk, leader = login_as("inspector"), login_as("clerk"), login_as("leader")
    waiting = _first_diagram_case(app, session, monkeypatch, tmp_path, inspector, clerk, leader,
                                  {0: "疏散通道堆放杂物", 2: "电线私拉乱接"})
    referred = _first_diagram_case(app, session, monkeypatch, tmp_path, inspector, clerk, leader,
                                   {1: "灭火器压力不足"})
    assert tick(app, session, at("2026-10-11T00:00:01")) == 2  # the notice's one deadline, 2026-10-10
    clock.set(at("2026-10-12T10:00"))
    # the second case: its hazard not rectified, the case waits for its referral letter
    _reinspect_case(session, inspector, referred.id, ["no"])
    session.commit()

    downgrade(revision=PREVIOUS_HEAD)
    columns = {c["name"] for c in sa_inspect(db.engine).get_columns("inspection_hazard")}
    assert not columns & {"deadline", "due_on", "interviewed_on"}
    assert session.execute(text("SELECT status FROM inspection_hazard WHERE description = '灭火器压力不足'")
                           ).scalar() == "open"  # what the first diagram's referral reads
    session.commit()
    upgrade()

    deadline = session.scalar(select(Inspection).where(Inspection.instance_id == waiting.id)).deadline
    assert deadline.isoformat() == "2026-10-10"
    assert _hazards(session, waiting.id) == [("疏散通道堆放杂物", "open", deadline, deadline),
                                              ("电线私拉乱接", "open", deadline, deadline)]
    assert _hazards(session, referred.id) == [("灭火器压力不足", "escalated", deadline, deadline)]

    # the waiting case: its diagram knows neither 延期 nor a hazard left to a later date
    refused = _reinspect_case(session, inspector, waiting.id, ["yes", "interview"], status=400)
    assert "本案件按原流程办理" in refused
    _reinspect_case(session, inspector, waiting.id, ["yes", "yes"])
    # the referred one: its letter lists the hazard, the feedback closes the case
    clerk.post(f"/tasks/{clerk.inbox_task_id('拟制移交函')}", {
        "receiver_kind": "police", "actions_taken": "已下发整改通知书并复查，仍未整改。", "requested_action": "",
        "feedback_days": "15", "contact_name": "林晓雯", "contact_phone": "0712-5861002"})
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发移交函')}", {"decision": "approve"}).status_code == 302
    clock.set(at("2026-10-20T10:00"))
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('登记处理反馈')}", {
        "feedback_on": "2026-10-20", "measures": "责令改正", "result": "已整改",
        "feedback_scan": (io.BytesIO(PNG), "reply.png")}, content_type="multipart/form-data").status_code == 302
    session.expire_all()
    assert [session.get(ProcessInstance, c.id).status for c in (waiting, referred)] == ["completed", "completed"]
    assert [h[1] for h in _hazards(session, waiting.id)] == ["rectified", "rectified"]
    assert [h[1] for h in _hazards(session, referred.id)] == ["closed"]
