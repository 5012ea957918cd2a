"""Issue 9 demo history: registers always; the evaluation only when the demo's "today" is in December."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from webapp.cases import registry
from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.models import Document, ProcessInstance
from webapp.procedures.evaluation.models import Evaluation, FireIncident, PublicityEvent


def _play(app, session, today: datetime) -> None:  # noqa: ANN001
    context = DemoContext(session=session, services=app.extensions["firegrid.runtime"],
                          clock=app.extensions["firegrid.clock"], year=today.year, today=today)
    procedure = registry.get("evaluation")
    assert procedure.demo_order == 90
    procedure.play_demo_history(context)
    session.commit()


def test_demo_before_december_leaves_the_evaluation_unopened(app, session, demo):  # noqa: ANN001
    _play(app, session, datetime(2026, 8, 1, 10, tzinfo=TZ))
    assert session.scalar(select(func.count()).select_from(PublicityEvent)) == 4
    assert [f.deaths for f in session.scalars(select(FireIncident))] == [0]
    assert session.scalar(select(Evaluation)) is None


@pytest.mark.slow
def test_demo_in_december_runs_the_evaluation(app, session, demo):  # noqa: ANN001
    _play(app, session, datetime(2026, 12, 20, 10, tzinfo=TZ))
    evaluation = session.scalar(select(Evaluation))
    assert evaluation.status == "approved" and all(b.grade and b.rank for b in evaluation.bodies)
    assert session.get(ProcessInstance, evaluation.instance_id).status == "completed"
    sheets = session.scalar(select(func.count()).select_from(Document).where(
        Document.template_key == "evaluation_sheet"))
    assert sheets == len(evaluation.bodies)
    notice = session.get(ProcessInstance, evaluation.notice_instance_id)
    assert notice.procedure == "notice_issuance" and notice.status == "completed"  # the 通报 is issued
    bulletin = session.scalar(select(Document).where(Document.instance_id == notice.id))
    assert bulletin.template_key == "bulletin" and bulletin.kind == "通报" and bulletin.status == "issued"
    assert bulletin.number and "考评结果" in bulletin.title
