"""A tests-only procedure on tests/engine/bpmn/test_notice.bpmn: two lanes, a working-day timer,
send-back, and a 会签 step, registered like any real procedure."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from webapp.cases import registry
from webapp.cases.registry import Procedure
from webapp.forms.common import DecisionMixin, max_length, required
from webapp.forms.registry import register_form

BPMN = Path(__file__).parent / "engine" / "bpmn" / "test_notice.bpmn"
REPO_WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"


@register_form("test_start_form")
class StartForm(FlaskForm):
    title = StringField("标题", validators=[required(), max_length(100)])


@register_form("draft_form")
class DraftForm(FlaskForm):
    title = StringField("标题", validators=[required("请输入标题。"), max_length(100)])
    body = TextAreaField("正文", validators=[required("请输入正文。")])
    approver_names = StringField("会签人（用户名，逗号分隔）", validators=[required("请填写会签人。")])


@register_form("review_form")
class ReviewForm(DecisionMixin, FlaskForm):
    pass


@register_form("countersign_form")
class CountersignForm(DecisionMixin, FlaskForm):
    pass


def _split_approvers(context) -> list[int]:  # noqa: ANN001
    names = context.data["approver_names"].split(",")
    context.data["approvers"] = [name.strip() for name in names if name.strip()]
    return []


def _record_vote(context) -> list[int]:  # noqa: ANN001
    context.data["vote"] = "approve"  # a submitted 会签 approves; a rejection is a send-back
    return []


PROCEDURE = Procedure(
    key="test_notice", title="测试发文", start_roles=("clerk",), start_form="test_start_form",
    before_complete={"draft": _split_approvers, "countersign": _record_vote},
    case_title=lambda data: f"测试：{data['title']}",
)


def install(workflows_dir: Path) -> Path:
    """The repo's workflows plus the test BPMN, adapted to the app's conventions."""
    workflows_dir.mkdir(parents=True, exist_ok=True)
    for bpmn in REPO_WORKFLOWS.glob("*.bpmn"):
        shutil.copy(bpmn, workflows_dir / bpmn.name)
    text = BPMN.read_text(encoding="utf-8")
    for old, new in [
        ('<bpmn:inputDataItem id="approver" name="approver" />',
         '<bpmn:inputDataItem id="assignee" name="assignee" />'),
        ('value="notice_draft"', 'value="notice"'),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (workflows_dir / "test_notice.bpmn").write_text(text, encoding="utf-8")
    registry.register(PROCEDURE)
    return workflows_dir
