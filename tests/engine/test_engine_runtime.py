"""Walk the test procedure end to end with a set clock, reloading the workflow between steps."""

import uuid

import pytest

from tests.engine.engine_support import at
from webapp.engine import TaskNotReady, TaskNotResettable

STARTED = at("2026-09-30 09:00")
DEADLINE = at("2026-10-10 23:59:59")  # 3 working days: 10-08, 10-09 and the make-up Saturday 10-10


def reload(engine, workflow):
    """Every step runs on a freshly deserialized workflow, as the app does per request."""
    return engine.deserialize(engine.serialize(workflow))


def start(engine, approvers=("a", "b")):
    data = {"started_at": STARTED.isoformat(), "approvers": list(approvers)}
    return reload(engine, engine.start("test_notice", data, STARTED))


def only_ready(engine, workflow, step_key):
    tasks = engine.ready_user_tasks(workflow)
    assert [task.step_key for task in tasks] == [step_key]
    return tasks[0]


def submit(engine, workflow, step_key, data, now=STARTED):
    engine.complete(workflow, only_ready(engine, workflow, step_key).task_id, data, now)
    return reload(engine, workflow)


def countersign(engine, workflow, votes, now=STARTED):
    for vote in votes:
        task = engine.ready_user_tasks(workflow)[0]
        engine.complete(workflow, task.task_id, {"vote": vote}, now)
        workflow = reload(engine, workflow)
    return workflow


def test_full_path_with_send_back_countersign_and_publish(engine):
    workflow = start(engine)
    draft = only_ready(engine, workflow, "draft")
    assert (draft.lane, draft.form_key, draft.template_keys) == ("clerk", "draft_form", ("notice_draft",))
    workflow = submit(engine, workflow, "draft", {"title": "关于开展消防检查的通知"})
    review = only_ready(engine, workflow, "review")
    assert (review.lane, review.due_workdays, review.data["title"]) == ("leader", 3, "关于开展消防检查的通知")
    assert engine.next_timer_due(workflow) == DEADLINE
    assert engine.current_element_ids(workflow) == {"review", "review_deadline"}

    workflow = submit(engine, workflow, "review", {"decision": "send_back"}, at("2026-10-08 10:00"))
    revised = {"title": "关于开展消防安全检查的通知"}
    workflow = submit(engine, workflow, "draft", revised, at("2026-10-08 11:00"))
    workflow = submit(engine, workflow, "review", {"decision": "approve"}, at("2026-10-09 09:00"))
    tasks = engine.ready_user_tasks(workflow)
    views = [(task.step_key, task.lane, task.data["approver"], task.multi_instance_index) for task in tasks]
    assert views == [("countersign", "leader", "a", 0), ("countersign", "leader", "b", 1)]
    assert engine.next_timer_due(workflow) is None

    workflow = countersign(engine, workflow, ["approve", "approve"], at("2026-10-09 15:00"))
    assert engine.is_completed(workflow)
    assert engine.ready_user_tasks(workflow) == []
    steps = [task.step_key for task in engine.completed_user_tasks(workflow)]
    assert steps == ["draft", "review", "draft", "review", "countersign", "countersign"]
    assert {"flow_send_back", "flow_to_countersign", "flow_countersign_gateway", "flow_to_publish",
            "publish", "end"} <= engine.path_taken(workflow)
    assert "escalation" not in engine.path_taken(workflow)


def test_publish_script_reads_the_injected_clock(engine):
    workflow = start(engine, approvers=["a"])
    workflow = submit(engine, workflow, "draft", {"title": "t"})
    workflow = submit(engine, workflow, "review", {"decision": "approve"})
    workflow = countersign(engine, workflow, ["approve"], at("2026-10-09 15:00"))
    final = workflow.get_tasks(spec_name="end")[0].data
    assert (final["published"], final["published_at"]) == (True, "2026-10-09T15:00:00+08:00")


def test_deadline_timer_fires_only_when_the_injected_clock_passes_it(engine):
    workflow = submit(engine, start(engine), "draft", {"title": "t"})
    engine.advance(workflow, at("2026-10-10 23:59"))
    workflow = reload(engine, workflow)
    only_ready(engine, workflow, "review")
    engine.advance(workflow, at("2026-10-11 00:00"))
    workflow = reload(engine, workflow)
    escalation = only_ready(engine, workflow, "escalation")
    assert escalation.lane == "leader"
    assert engine.next_timer_due(workflow) is None
    workflow = submit(engine, workflow, "escalation", {"decision": "send_back"}, at("2026-10-12 09:00"))
    only_ready(engine, workflow, "draft")
    assert {"review_deadline", "flow_deadline_escalation", "flow_send_back"} <= engine.path_taken(workflow)


def test_complete_refuses_tasks_that_are_not_ready_user_tasks(engine):
    workflow = start(engine)
    draft = only_ready(engine, workflow, "draft")
    engine.complete(workflow, draft.task_id, {"title": "t"}, STARTED)
    timer = workflow.get_tasks(spec_name="review_deadline")[0]
    for task_id in (draft.task_id, str(timer.id), str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(TaskNotReady):
            engine.complete(workflow, task_id, {}, STARTED)
    with pytest.raises(TypeError):
        engine.complete(workflow, only_ready(engine, workflow, "review").task_id, {"when": STARTED}, STARTED)


def test_withdraw_resets_to_the_draft_and_drops_the_timer(engine):
    workflow = submit(engine, start(engine), "draft", {"title": "初稿"})
    draft_id = engine.completed_user_tasks(workflow)[-1].task_id
    engine.reset_to(workflow, draft_id)
    workflow = reload(engine, workflow)
    draft = only_ready(engine, workflow, "draft")
    assert (draft.task_id, draft.data["title"]) == (draft_id, "初稿")
    assert engine.next_timer_due(workflow) is None
    with pytest.raises(TaskNotResettable):
        engine.reset_to(workflow, draft_id)


def test_one_rejection_in_countersign_resets_to_the_draft(engine):
    workflow = start(engine, approvers=["a", "b", "c"])
    workflow = submit(engine, workflow, "draft", {"title": "t"})
    workflow = submit(engine, workflow, "review", {"decision": "approve"})
    workflow = countersign(engine, workflow, ["approve", "reject"])
    assert len(engine.ready_user_tasks(workflow)) == 1
    drafts = [task for task in engine.completed_user_tasks(workflow) if task.step_key == "draft"]
    draft_id = drafts[-1].task_id
    engine.reset_to(workflow, draft_id)
    workflow = reload(engine, workflow)
    only_ready(engine, workflow, "draft")
    assert engine.current_element_ids(workflow) == {"draft"}
    workflow = submit(engine, workflow, "draft", {"title": "t2"})
    workflow = submit(engine, workflow, "review", {"decision": "approve"})
    assert len(engine.ready_user_tasks(workflow)) == 3
    workflow = countersign(engine, workflow, ["approve"] * 3)
    assert engine.is_completed(workflow)


def test_countersign_gateway_routes_a_rejection_back_to_the_draft(engine):
    workflow = start(engine)
    workflow = submit(engine, workflow, "draft", {"title": "t"})
    workflow = submit(engine, workflow, "review", {"decision": "approve"})
    workflow = countersign(engine, workflow, ["approve", "reject"])
    draft = only_ready(engine, workflow, "draft")
    assert (draft.data["rejected_by"], draft.data["votes"]) == (["b"], [])


def test_serialized_state_is_readable_utf8_json(engine):
    text = engine.serialize(submit(engine, start(engine), "draft", {"title": "关于开展消防检查的通知"}))
    assert "关于开展消防检查的通知" in text and "\\u" not in text
