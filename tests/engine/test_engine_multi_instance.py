"""The 多实例 steps of the real workflows: one instance per entry of a task-data collection.

The loop collections (self_assessors, co_signers, countersigned_by) are declared as task properties
for bpmn.io; SpiffWorkflow must still read and write them as plain task data.
"""

from pathlib import Path

import pytest

from tests.engine.engine_support import at
from webapp.engine import SpecRegistry, WorkflowEngine
from webapp.workdays import WorkdayCalendar

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
NOW = at("2026-12-01 09:00")


@pytest.fixture(scope="module")
def engine() -> WorkflowEngine:
    """Overrides the conftest engine: these tests run the real workflows, not the test BPMN."""
    return WorkflowEngine(SpecRegistry.load(WORKFLOWS, strict=True), {}, WorkdayCalendar())


def submit(engine, workflow, step_key, data):
    """Complete the first READY task of `step_key`, then continue on a reloaded workflow."""
    task = next(task for task in engine.ready_user_tasks(workflow) if task.step_key == step_key)
    engine.complete(workflow, task.task_id, data, NOW)
    return engine.deserialize(engine.serialize(workflow))


def ready(engine, workflow):
    return [(task.step_key, task.multi_instance_index, task.data.get("assignee"))
            for task in engine.ready_user_tasks(workflow)]


def test_self_assessment_runs_once_per_assessor_and_keeps_the_case_data(engine):
    workflow = engine.start("evaluation", {"evaluation_id": 7}, NOW)
    assessors = {"fire_team": "zhang", "school": "li", "market": "wang"}
    workflow = submit(engine, workflow, "measure", {"self_assessors": assessors})
    assert ready(engine, workflow) == [("self_assess", key, user) for key, user in assessors.items()]

    for open_instances in range(len(assessors), 0, -1):
        assert len(engine.ready_user_tasks(workflow)) == open_instances
        workflow = submit(engine, workflow, "self_assess", {"entries": []})
    group = engine.ready_user_tasks(workflow)
    assert [task.step_key for task in group] == ["group_score"]
    data = group[0].data
    assert data["self_assessors"] == assessors
    assert (data["evaluation_id"], data["assignee"], data["self_assessed"]) == (7, None, True)


def test_countersign_runs_once_per_co_signer_and_collects_countersigned_by(engine):
    workflow = engine.start("notice_issuance", {"notice_id": 3}, NOW)
    co_signers = ["zhao", "qian", "sun"]
    workflow = submit(engine, workflow, "draft", {"title": "关于冬季防火的通知", "co_signers": co_signers})
    workflow = submit(engine, workflow, "review", {"decision": "approve", "has_co_signers": True})
    assert ready(engine, workflow) == [("countersign", index, user) for index, user in enumerate(co_signers)]

    signing_order = ["sun", "zhao", "qian"]
    for user in signing_order:
        task = next(task for task in engine.ready_user_tasks(workflow) if task.data["assignee"] == user)
        engine.complete(workflow, task.task_id, {"countersigned": user}, NOW)
        workflow = engine.deserialize(engine.serialize(workflow))
    sign_off = engine.ready_user_tasks(workflow)
    assert [task.step_key for task in sign_off] == ["sign_off"]
    assert sign_off[0].data["countersigned_by"] == signing_order  # appended as each one signs
    assert (sign_off[0].data["title"], sign_off[0].data["notice_id"]) == ("关于冬季防火的通知", 3)


def test_without_co_signers_the_notice_skips_countersign(engine):
    workflow = engine.start("notice_issuance", {}, NOW)
    workflow = submit(engine, workflow, "draft", {"title": "通知", "co_signers": []})
    workflow = submit(engine, workflow, "review", {"decision": "approve", "has_co_signers": False})
    assert ready(engine, workflow) == [("sign_off", None, None)]
    assert "countersigned_by" not in engine.ready_user_tasks(workflow)[0].data


def test_incoming_runs_handling_and_one_reading_per_reader_in_parallel_then_closes(engine):
    workflow = engine.start("incoming", {"incoming_id": 5}, NOW)
    assert ready(engine, workflow) == [("propose", None, None)]
    workflow = submit(engine, workflow, "propose", {"proposal": "请领导阅示。"})
    readers = ["zhao", "qian", "sun"]
    workflow = submit(engine, workflow, "assign", {"handler": "li", "readers": readers})
    assert ready(engine, workflow) == [("handle", None, "li"), *(("read", i, u) for i, u in enumerate(readers))]

    for user in ("qian", "zhao"):
        task = next(t for t in engine.ready_user_tasks(workflow) if t.data["assignee"] == user)
        engine.complete(workflow, task.task_id, {"read_remark": ""}, NOW)
    workflow = submit(engine, workflow, "handle", {"handling": "已办理。"})
    assert ready(engine, workflow) == [("read", 2, "sun")]  # 办结 waits for the late reader
    workflow = submit(engine, workflow, "read", {"read_remark": "已阅。"})
    [close] = engine.ready_user_tasks(workflow)
    assert (close.step_key, close.data["assignee"], close.data["incoming_id"]) == ("close", None, 5)


def test_incoming_without_readers_goes_from_handling_to_close(engine):
    workflow = engine.start("incoming", {}, NOW)
    workflow = submit(engine, workflow, "propose", {})
    workflow = submit(engine, workflow, "assign", {"handler": "li", "readers": []})
    assert ready(engine, workflow) == [("handle", None, "li")]
    workflow = submit(engine, workflow, "handle", {})
    assert ready(engine, workflow) == [("close", None, None)]
