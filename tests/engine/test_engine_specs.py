import hashlib

import pytest

from tests.engine.engine_support import BPMN_DIR, KNOWN_FORMS, KNOWN_ROLES, KNOWN_TEMPLATES, write_variant
from webapp.engine import SpecRegistry, WorkflowSpecError


def problems_of(directory):
    return SpecRegistry.load(directory).check(KNOWN_FORMS, KNOWN_TEMPLATES, KNOWN_ROLES)


def test_registry_exposes_steps_lanes_hash_and_diagram(registry):
    assert registry.process_ids() == ["test_notice"]
    assert registry.lanes("test_notice") == ("clerk", "leader")
    steps = registry.steps("test_notice")
    assert set(steps) == {"draft", "review", "escalation", "countersign"}
    draft = steps["draft"]
    assert (draft.title, draft.lane, draft.form_key) == ("拟稿", "clerk", "draft_form")
    assert steps["draft"].template_keys == ("notice_draft",)
    assert (steps["review"].due_workdays, steps["countersign"].lane) == (3, "leader")
    content = (BPMN_DIR / "test_notice.bpmn").read_bytes()
    assert registry.spec_hash("test_notice") == hashlib.sha256(content).hexdigest()
    assert registry.diagram("test_notice") == content


def test_the_test_bpmn_is_clean(registry):
    assert registry.check(KNOWN_FORMS, KNOWN_TEMPLATES, KNOWN_ROLES) == []


@pytest.mark.parametrize(("replacement", "element_id", "words"), [
    (('value="draft_form"', 'value="missing_form"'), "draft", "unknown form key 'missing_form'"),
    (('value="notice_draft"', 'value="missing_template"'), "draft", "unknown template key"),
    (('name="leader"', 'name="boss"'), "lane_leader", "'boss' is not a role key"),
    (("workdays_after(started_at, 3)", "2026-01-01T00:00:00+08:00"), "review_deadline", "does not compile"),
    (("workdays_after(started_at, 3)", "'2026-01-01T00:00:00'"), "review_deadline", "no UTC offset"),
    (("workdays_after(started_at, 3)", "'next week'"), "review_deadline", "not an ISO 8601 datetime"),
    ((' default="flow_to_countersign"', ""), "review_gateway", "no default flow"),
    (('<bpmndi:BPMNShape id="escalation_di" bpmnElement="escalation">', '<bpmndi:BPMNShape id="x_di">'),
     "escalation", "no diagram shape"),
    (('bpmnElement="flow_send_back"', ""), "flow_send_back", "no diagram edge"),
    (("<bpmn:flowNodeRef>escalation</bpmn:flowNodeRef>", ""), "escalation", "outside every lane"),
    (('<spiffworkflow:property name="form" value="draft_form" />', ""), "draft", "no 'form' property"),
    (("published = True", "published = open('x')"), "publish", "calling open is not allowed"),
])
def test_check_names_the_faulty_element(tmp_path, replacement, element_id, words):
    problems = problems_of(write_variant(tmp_path, replacement))
    located = [problem for problem in problems if problem.element_id == element_id]
    assert any(words in problem.message for problem in located), problems


def test_a_broken_file_does_not_stop_the_others(tmp_path):
    write_variant(tmp_path)
    (tmp_path / "broken.bpmn").write_text("<definitions", encoding="utf-8")
    registry = SpecRegistry.load(tmp_path)
    assert registry.process_ids() == ["test_notice"]
    problems = registry.check(KNOWN_FORMS, KNOWN_TEMPLATES, KNOWN_ROLES)
    assert [problem.file for problem in problems] == ["broken.bpmn"]
    with pytest.raises(WorkflowSpecError, match="broken.bpmn"):
        SpecRegistry.load(tmp_path, strict=True)


def test_schema_violations_are_reported(tmp_path):
    write_variant(tmp_path, ('<bpmn:endEvent id="end" name="结束">', '<bpmn:endEvent id="end" colour="red">'))
    problems = problems_of(tmp_path)
    assert len(problems) == 1 and "invalid BPMN" in problems[0].message and "colour" in problems[0].message


def test_strict_load_refuses_structural_problems(tmp_path):
    write_variant(tmp_path, (' default="flow_to_countersign"', ""))
    with pytest.raises(WorkflowSpecError) as raised:
        SpecRegistry.load(tmp_path, strict=True)
    assert "review_gateway" in {problem.element_id for problem in raised.value.problems}
