"""移交接收部门 (issue 18 item 3): an admin edits the town's 派出所/消防救援机构 and adds other departments
(安监站, 市场监管所 …) that hazards can be referred to; bad input is named beside its field, input kept."""

from __future__ import annotations

from sqlalchemy import select

from webapp.procedures.inspection import setup
from webapp.procedures.inspection.models import ReferralReceiver


def test_admin_edits_a_receiver_and_adds_a_department(app, session, sign_in, small_town):
    admin = sign_in("admin")
    page = admin.get("/inspection/receivers").get_data(as_text=True)
    police = setup.receivers(session, small_town.town)["police"]
    assert police.name in page and "消防救援机构" in page
    edited = admin.post(f"/inspection/receivers?receiver_id={police.id}",
                        {"name": "松林派出所", "contact_person": "王警官", "phone": "0712-1234567",
                         "feedback_days": "10"})
    assert edited.status_code == 302
    bad = admin.post("/inspection/receivers", {"name": "", "contact_person": "李站长", "feedback_days": "0"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请填写部门名称。" in text and "反馈期限应为1至90日。" in text
    assert 'value="李站长"' in text
    added = admin.post("/inspection/receivers", {"name": "松林镇安全生产监督管理站", "contact_person": "李站长",
                                                 "phone": "", "feedback_days": "20"})
    assert added.status_code == 302
    session.expire_all()
    rows = setup.receivers(session, small_town.town)
    assert (rows["police"].name, rows["police"].feedback_days) == ("松林派出所", 10)
    department = next(r for r in rows.values() if r.name == "松林镇安全生产监督管理站")
    assert setup.receiver_label(department) == "主管部门" and department.feedback_days == 20
    duplicate = admin.post("/inspection/receivers", {"name": "松林派出所", "feedback_days": "5"})
    assert duplicate.status_code == 400 and "已在移交接收部门中" in duplicate.get_data(as_text=True)
    assert session.scalar(select(ReferralReceiver).where(ReferralReceiver.feedback_days == 5)) is None
    assert sign_in("clerk").get("/inspection/receivers").status_code == 403
