"""`firegrid check`, `tick`, `templates` and restarts, as an admin would use them."""

from __future__ import annotations

import io
import re
from pathlib import Path

from docx import Document as Docx
from sqlalchemy import select

from tests.factories import PASSWORD
from tests.workflow_support import BPMN
from webapp import create_app
from webapp.cli import main
from webapp.engine import WorkflowSpecError
from webapp.models import ProcessInstance, WorkTask


def _broken_app(tmp_path: Path, old: str, new: str):
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    text = BPMN.read_text(encoding="utf-8").replace('value="notice_draft"', 'value="notice"')
    text = text.replace('<bpmn:inputDataItem id="approver" name="approver" />',
                        '<bpmn:inputDataItem id="assignee" name="assignee" />')
    assert text.count(old) == 1
    (workflows / "test_notice.bpmn").write_text(text.replace(old, new), encoding="utf-8")
    return create_app({"DATA_DIR": tmp_path, "SECRET_KEY": "x", "WORKFLOWS_DIR": workflows,
                       "CHECK_WORKFLOWS": False, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}"})


def _check(app):
    return app.test_cli_runner().invoke(main, ["check"])


def test_check_passes_on_the_shipped_workflows(app):
    result = _check(app)
    assert result.exit_code == 0, result.output
    assert "检查通过" in result.output


def test_check_names_an_unknown_form_key(tmp_path, app):
    result = _check(_broken_app(tmp_path, 'value="countersign_form"', 'value="no_such_form"'))
    assert result.exit_code == 1 and "test_notice.bpmn#countersign" in result.output and "no_such_form" in result.output


def test_check_names_an_unmapped_lane(tmp_path, app):
    result = _check(_broken_app(tmp_path, '<bpmn:lane id="lane_leader" name="leader">',
                                '<bpmn:lane id="lane_leader" name="mayor">'))
    assert result.exit_code == 1 and "lane_leader" in result.output and "mayor" in result.output


def test_check_names_an_unquoted_timer_literal(tmp_path, app):
    result = _check(_broken_app(tmp_path, "workdays_after(started_at, 3)", "2026-10-09T23:59:59+08:00"))
    assert result.exit_code == 1 and "review_deadline" in result.output


def test_a_broken_workflow_stops_the_server_from_starting(tmp_path, app):
    broken = _broken_app(tmp_path, 'value="countersign_form"', 'value="no_such_form"')
    try:
        create_app({**{k: broken.config[k] for k in ("DATA_DIR", "SECRET_KEY", "WORKFLOWS_DIR")},
                    "SQLALCHEMY_DATABASE_URI": broken.config["SQLALCHEMY_DATABASE_URI"]})
        raise AssertionError("create_app must refuse a broken workflow")
    except WorkflowSpecError as error:
        assert "no_such_form" in str(error)
    serve = broken.test_cli_runner().invoke(main, ["serve", "--port", "0"])
    assert serve.exit_code != 0 and "服务未启动" in serve.output


def test_templates_list_and_render(app, tmp_path):
    runner = app.test_cli_runner()
    listed = runner.invoke(main, ["templates", "list"])
    lines = listed.output.strip().splitlines()
    assert listed.exit_code == 0 and len(lines) == len(app.extensions["firegrid.runtime"].documents.library.keys())
    assert all(re.fullmatch(r"[a-z_]+\t\S.*", line) for line in lines)
    out = tmp_path / "notice.docx"
    rendered = runner.invoke(main, ["templates", "render", "notice", "--sample", "--out", str(out)])
    assert rendered.exit_code == 0 and "松林府发" in "\n".join(p.text for p in Docx(out).paragraphs)
    data = tmp_path / "data.json"
    data.write_text('{"oops": 1}', encoding="utf-8")
    bad = runner.invoke(main, ["templates", "render", "nope", "--sample", "--out", str(out)])
    assert bad.exit_code != 0 and "没有模板" in bad.output


def test_templates_build_writes_every_template(app, tmp_path):
    result = app.test_cli_runner().invoke(main, ["templates", "build", "--out", str(tmp_path)])
    assert result.exit_code == 0
    built = {p.stem for p in tmp_path.glob("*.docx")}
    assert built == set(app.extensions["firegrid.runtime"].documents.library)
    assert Docx(io.BytesIO((tmp_path / "notice.docx").read_bytes())).sections[0].page_height


def test_restart_between_steps_loses_nothing(app, session, sign_in, small_town):
    """A second app process on the same database and data dir carries the case on."""
    from tests.conftest import Browser

    clerk = sign_in("clerk")
    clerk.post("/procedures/test_notice/start", {"title": "重启测试"})
    draft = session.scalar(select(WorkTask)).id
    clerk.post(f"/tasks/{draft}", {"title": "重启测试", "body": "正文", "approver_names": "leader"})
    restarted = create_app({key: app.config[key] for key in (
        "DATA_DIR", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WORKFLOWS_DIR", "TESTING")})
    leader = Browser(restarted.test_client())
    leader.login("leader", PASSWORD)
    review = session.scalar(select(WorkTask).where(WorkTask.step_key == "review")).id
    assert leader.post(f"/tasks/{review}", {"decision": "approve", "opinion": "同意"}).status_code == 302
    countersign = session.scalar(select(WorkTask).where(WorkTask.step_key == "countersign")).id
    again = Browser(create_app({key: app.config[key] for key in (
        "DATA_DIR", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WORKFLOWS_DIR", "TESTING")}).test_client())
    again.login("leader", PASSWORD)
    assert again.post(f"/tasks/{countersign}", {"decision": "approve"}).status_code == 302
    session.expire_all()
    assert session.scalar(select(ProcessInstance)).status == "completed"
