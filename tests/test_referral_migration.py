"""Revision 0035: receivers keep their rows, and referrals made before it become referral-list entries."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from tests.web.test_inspection_flow import at, start_inspection, unit_in
from webapp.extensions import db


def _refer_major_hazard(app, session, login_as) -> None:
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    start_inspection(login_as("inspector"), session, unit_in(session, "青石村"), {1: "液化气瓶与明火同室"}, major=True)
    clerk, leader = login_as("clerk"), login_as("leader")
    clerk.post(f"/tasks/{clerk.inbox_task_id('拟制移交函')}", {
        "receiver_kind": "police", "actions_taken": "已责令停用。", "requested_action": "", "feedback_days": "15",
        "contact_name": "林晓雯", "contact_phone": "0712-5861002"})
    leader.post(f"/tasks/{leader.inbox_task_id('签发移交函')}", {"decision": "approve"})


def test_receivers_and_earlier_referrals_survive_the_upgrade(app, session, login_as):
    _refer_major_hazard(app, session, login_as)
    receivers = session.execute(text("SELECT id, kind, name, contact_person, phone FROM inspection_referral_receiver "
                                     "ORDER BY id")).all()
    assert {r.kind for r in receivers} >= {"police", "fire"}
    session.commit()
    downgrade(revision="0034")
    assert "inspection_referral" not in sa_inspect(db.engine).get_table_names()
    upgrade()
    after = session.execute(text("SELECT id, kind, name, contact_person, phone FROM inspection_referral_receiver "
                                 "ORDER BY id")).all()
    assert after == receivers
    copied = session.execute(text(
        "SELECT r.title, a.receiver_id, a.due_on, a.status, i.description FROM inspection_referral r "
        "JOIN inspection_referral_addressee a ON a.referral_id = r.id "
        "JOIN inspection_referral_item i ON i.referral_id = r.id")).all()
    police = next(r.id for r in receivers if r.kind == "police")
    assert len(copied) == 1 and copied[0].receiver_id == police and copied[0].status == "sent"
    assert copied[0].description == "液化气瓶与明火同室" and str(copied[0].due_on)[:10] == "2026-10-13"
