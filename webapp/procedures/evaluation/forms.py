"""Forms of the year-end evaluation (年终考评) and of its registers (宣传培训, 火灾事故) and scheme editor."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_wtf.file import MultipleFileField
from wtforms import FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, ValidationError

from webapp.forms.common import ChineseForm, DecisionMixin, max_length, not_in_future, optional, required
from webapp.forms.registry import register_form
from webapp.forms.sanitise import SafeForm
from webapp.forms.widgets import CnDateField, CnFloatField, EntryList
from webapp.models import WorkTask
from webapp.procedures.evaluation import group, scoring
from webapp.procedures.evaluation.models import (
    CATEGORIES,
    FIVE_INTO,
    FORMULAS,
    ITEM_KINDS,
    PUBLICITY_KINDS,
    FireIncident,
    PublicityEvent,
)
from webapp.services.errors import NotFound
from webapp.web.responses import runtime


class CnIntegerField(IntegerField):
    def process_formdata(self, valuelist: list) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            self.data = None
            raise ValueError("请填写整数。") from error


@register_form("evaluation_start")
class EvaluationStartForm(ChineseForm):
    year = CnIntegerField("考评年度", validators=[required("请填写考评年度。"),
                                                 NumberRange(2000, 2100, message="年度应在2000到2100之间。")])

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        if self.year.data is None and request.method == "GET":
            self.year.data = current_app.extensions["firegrid.clock"].now().year


@register_form("evaluation_measure")
class MeasureForm(ChineseForm):
    note = TextAreaField("核对说明（可不填）", validators=[optional(), max_length(500)],
                         description="提交后系统按最新台账重新测算一次，并向各村（社区）、部门下发自评任务。")


class _Entry(SafeForm):
    """A sub-form row whose legend (body, item, points) is set by the parent form's setup."""

    score_id = HiddenField("")

    def legend(self) -> str:
        return getattr(self, "_legend", "")


class SelfEntry(_Entry):
    self_score = CnFloatField("自评分", validators=[InputRequired("请填写自评分。")])
    note = StringField("自评说明（低于分值的请写明原因，考评组评分时可见）", validators=[optional(), max_length(500)])

    def validate_self_score(self, field: Any) -> None:
        points = getattr(self, "_points", None)
        if points is not None and field.data is not None and not 0 <= field.data <= points:
            raise ValidationError(f"分数应在0到{points:g}分之间。")


class GroupEntry(_Entry):
    score = CnFloatField("考评得分", validators=[InputRequired("请填写考评得分。")])
    # No optional(): it would stop the chain on an empty reason before validate_deduction_reason runs.
    deduction_reason = StringField("扣分原因", validators=[max_length(500)])

    def validate_score(self, field: Any) -> None:
        points = getattr(self, "_points", None)
        if points is not None and field.data is not None and not 0 <= field.data <= points:
            raise ValidationError(f"分数应在0到{points:g}分之间。")

    def validate_deduction_reason(self, field: Any) -> None:
        score, value = getattr(self, "_score", None), self.score.data
        if score is None or value is None or not 0 <= value <= score.points:
            return
        if group.needs_reason(score, value) and not (field.data or "").strip():
            raise ValidationError(scoring.DEDUCTION_REASON_REQUIRED)


def _label(entry: Any, score: Any, extra: str) -> None:
    entry.form._legend = f"{score.category} · {score.content}（{score.points:g}分）{extra}"
    entry.form._points = score.points
    entry.form._score = score
    entry.form.score_id.description = score.rule


def _fill(field: EntryList, rows: list[dict]) -> None:
    field.entries, field.last_index = [], -1
    for row in rows:
        field.append_entry(row)


def _label_all(field: EntryList, scores: dict[int, Any], extra: Any) -> None:
    for entry in field.entries:
        score = scores.get(int(entry.form.score_id.data or 0))
        if score is not None:
            _label(entry, score, extra(score))


@register_form("evaluation_self_assess")
class SelfAssessForm(ChineseForm):
    body_key = HiddenField("")
    entries = EntryList(FormField(SelfEntry), label="自评项目（系统测算的项目已按台账计分，无需自评）")

    def setup(self, session: Any, user: Any, instance: Any) -> None:
        task = session.get(WorkTask, (request.view_args or {}).get("task_id") or 0)
        if task is None:
            raise NotFound("任务不存在。")
        body = scoring.body_for_task(session, runtime(), task)
        self.body_key.data = body.key
        self.entries.label.text = f"{body.name}自评（系统测算的项目已按台账计分，无需自评）"
        scores = {s.id: s for s in body.scores if s.kind in ("assessed", "bonus")}
        if request.method == "GET" and self.restored is None:
            _fill(self.entries, [{"score_id": str(s.id), "self_score": s.self_score, "note": s.self_note}
                                 for s in scores.values()])
        _label_all(self.entries, scores, lambda s: "")


class GroupBodyForm(ChineseForm):
    """考评组评分 of one body: one page, one submit (group.score_body)."""

    entries = EntryList(FormField(GroupEntry), label="评分项目")

    def setup(self, body: Any) -> None:
        self.entries.label.text = f"{body.name}评分"
        scores = {s.id: s for s in group.scored_items(body)}
        if request.method == "GET":
            filled = []
            for s in scores.values():
                value, reason = scoring.group_defaults(s)
                filled.append({"score_id": str(s.id), "score": value, "deduction_reason": reason})
            _fill(self.entries, filled)
        _label_all(self.entries, scores, _group_extra)


def _group_extra(score: Any) -> str:
    """What the group weighs its score against: the measured result, or the body's 自评 and its note."""
    if score.kind == "measured":
        got = f"，得{score.measured_score:g}分" if score.measured_score is not None else ""
        return f" · 测算：{score.measured_text}{got}"
    if score.self_score is not None:
        return f" · 自评{score.self_score:g}分" + (f"（{score.self_note}）" if score.self_note else "")
    return ""


@register_form("evaluation_group_score")
class GroupScoreForm(ChineseForm):
    """The step itself only confirms: the bodies are scored one by one on their own pages first."""

    note = TextAreaField("评分说明（可不填）", validators=[optional(), max_length(500)],
                         description="各单位均已评分后提交，评分结果送领导审定。")


@register_form("evaluation_approve")
class ApproveForm(DecisionMixin, ChineseForm):
    pass


class SchemeItemForm(ChineseForm):
    category = SelectField("类别", choices=[(c, c) for c in CATEGORIES])
    content = StringField("考评内容", validators=[required("请填写考评内容。"), max_length(200)])
    points = CnFloatField("分值", default=0, validators=[optional()])
    rule = TextAreaField("评分标准", validators=[required("请填写评分标准。"), max_length(1000)])
    kind = SelectField("项目类型", choices=list(ITEM_KINDS.items()))
    metric = SelectField("测算指标（系统测算、一票否决项目）", choices=[("", "（不适用）")], validate_choice=False)
    formula = SelectField("计分公式", choices=[("", "（不适用）"), *FORMULAS.items()])
    target = CnFloatField("目标次数 / 每次扣分", default=0, validators=[optional()])

    def setup(self, metrics: dict) -> None:
        self.metric.choices = [("", "（不适用）"), *[(key, m.label) for key, m in metrics.items()]]

    def values(self) -> dict:
        return {name: self[name].data for name in ("category", "content", "points", "rule", "kind", "metric",
                                                   "formula", "target")}


class PublicityForm(ChineseForm):
    model = PublicityEvent
    grid_id = SelectField("网格", coerce=int, validate_choice=False)
    member_id = SelectField("组织部门（镇直部门组织的填写）", coerce=int, validate_choice=False)
    held_on = CnDateField("日期", validators=[required("请填写日期。"), not_in_future])
    kind = SelectField("类型", choices=list(PUBLICITY_KINDS.items()))
    five_into = SelectField("“五进”类别", choices=[(v, v) for v in FIVE_INTO])
    title = StringField("主题", validators=[required("请填写活动主题。"), max_length(200)])
    audience = StringField("对象", validators=[optional(), max_length(200)])
    attendance = CnIntegerField("参加人数", default=0, validators=[
        optional(), NumberRange(0, 100000, message="参加人数应在0到100000之间。")])
    photos = MultipleFileField("照片")


BAD_COUNT = "人数应在0到1000之间。"


class FireForm(ChineseForm):
    model = FireIncident
    grid_id = SelectField("网格", coerce=int, validate_choice=False)
    occurred_on = CnDateField("发生日期", validators=[required("请填写发生日期。"), not_in_future])
    place = StringField("地点（单位）", validators=[required("请填写起火地点或单位。"), max_length(200)])
    cause = TextAreaField("起火原因", validators=[optional(), max_length(1000)])
    deaths = CnIntegerField("死亡人数", default=0, validators=[optional(), NumberRange(0, 1000, message=BAD_COUNT)])
    injuries = CnIntegerField("受伤人数", default=0, validators=[optional(), NumberRange(0, 1000, message=BAD_COUNT)])
    loss = CnFloatField("直接损失（万元）", default=0,
                        validators=[optional(), NumberRange(0, message="损失不能为负数。")])
