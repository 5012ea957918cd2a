"""Issue 9 pages: the registers (form, list, Excel), the scheme editor (admin only), and scope."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from webapp.demo.scans import photo_png
from webapp.models import GridNode
from webapp.procedures.evaluation.models import EvaluationScheme


def _village(session, name: str) -> GridNode:  # noqa: ANN001
    return session.scalar(select(GridNode).where(GridNode.name == name))


def test_publicity_and_fire_registers(app, session, login_as):  # noqa: ANN001
    clerk = login_as("clerk_shiqiao")
    shiqiao = _village(session, "石桥村")
    bad = clerk.post("/evaluation/publicity", {"grid_id": str(shiqiao.id), "member_id": "0", "held_on": "",
                                               "kind": "training", "five_into": "进学校", "title": "<安全>课",
                                               "attendance": "x"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "请填写日期" in page and "请填写整数" in page and "&lt;安全&gt;课" in page
    photo = (io.BytesIO(photo_png(2)), "现场.png")
    ok = clerk.post("/evaluation/publicity", {"grid_id": str(shiqiao.id), "member_id": "0",
                                              "held_on": "2026-05-12", "kind": "drill", "five_into": "进学校",
                                              "title": "疏散演练", "audience": "师生", "attendance": "260",
                                              "photos": [photo]}, content_type="multipart/form-data")
    assert ok.status_code == 302
    listing = clerk.get("/evaluation/publicity?year=2026").get_data(as_text=True)
    assert "疏散演练" in listing and "演练" in listing
    sheet = load_workbook(io.BytesIO(clerk.get("/evaluation/publicity.xlsx?year=2026").data)).active
    assert sheet["E2"].value == "疏散演练" and sheet["G2"].value == 260 and sheet["J2"].value == 1
    fire = clerk.post("/evaluation/fires", {"grid_id": str(shiqiao.id), "occurred_on": "2026-08-03",
                                            "place": "石桥村民房", "deaths": "1", "injuries": "0", "loss": "12"})
    assert fire.status_code == 302
    assert "石桥村民房" in clerk.get("/evaluation/fires?year=2026").get_data(as_text=True)
    outside = clerk.post("/evaluation/fires", {"grid_id": str(_village(session, "青石村").id),
                                               "occurred_on": "2026-08-03", "place": "越权", "deaths": "0"})
    assert outside.status_code == 403 and "“青石村”不在您的管辖范围内。" in outside.get_data(as_text=True)
    assert "越权" not in login_as("clerk").get("/evaluation/fires?year=2026").get_data(as_text=True)


def test_scheme_is_seeded_and_only_admin_edits_it(app, session, login_as):  # noqa: ANN001
    clerk, admin = login_as("clerk"), login_as("admin")
    page = clerk.get("/evaluation/schemes/village").get_data(as_text=True)
    assert "签订消防安全目标责任书" in page and "修改" not in page
    scheme = session.scalar(select(EvaluationScheme).where(EvaluationScheme.target_kind == "village"))
    item = next(i for i in scheme.items if i.metric == "signing_rate")
    assert clerk.post(f"/evaluation/schemes/village/items/{item.id}", {}).status_code == 403
    form = {"category": "消防安全责任", "content": "签订责任书", "points": "8", "rule": "按签订率计分",
            "kind": "measured", "metric": "signing_rate", "formula": "ratio", "target": "0"}
    assert admin.post(f"/evaluation/schemes/village/items/{item.id}", form).status_code == 302
    session.refresh(item)
    assert (item.content, item.points) == ("签订责任书", 8)
    too_much = admin.post("/evaluation/schemes/village/items/new", {**form, "content": "新增项目", "points": "30"})
    assert too_much.status_code == 400 and "超过100分" in too_much.get_data(as_text=True)
    no_metric = admin.post("/evaluation/schemes/village/items/new", {**form, "metric": "", "points": "1"})
    assert no_metric.status_code == 400 and "测算指标" in no_metric.get_data(as_text=True)
    assessed = {**form, "kind": "assessed", "metric": "", "formula": "", "content": "新增评定项目", "points": "2"}
    assert admin.post("/evaluation/schemes/village/items/new", assessed).status_code == 302
    assert "新增评定项目" in admin.get("/evaluation/schemes/village").get_data(as_text=True)
