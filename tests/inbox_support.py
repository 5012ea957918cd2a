"""Many cases at once, inserted in bulk: the inbox must not care how many there are."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, insert, select

from webapp.extensions import db
from webapp.models import GridNode, ProcessInstance, WorkTask

ROLES = ["clerk", "leader", "inspector", "office_head"]


def bulk_cases(session, count: int, now) -> None:
    """`count` running cases spread over the villages, each with one READY task of a rotating role."""
    villages = list(session.scalars(select(GridNode).where(GridNode.level == "village")))
    start = (session.scalar(select(db.func.max(ProcessInstance.id))) or 0) + 1
    session.execute(insert(ProcessInstance), [
        {"id": start + i, "procedure": "test_notice", "title": f"批量案件{i}", "spec_hash": "x",
         "serializer_version": "x", "state_json": "{}", "status": "running",
         "grid_id": villages[i % len(villages)].id, "started_at": now, "version": 1}
        for i in range(count)
    ])
    session.execute(insert(WorkTask), [
        {"instance_id": start + i, "engine_task_id": f"{start + i:036d}", "step_key": "review", "title": "审核",
         "role": ROLES[i % len(ROLES)], "scope_path": villages[i % len(villages)].path,
         "town_id": villages[i % len(villages)].parent_id,
         "due_at": now + timedelta(days=i % 30 - 10), "created_at": now}
        for i in range(count)
    ])
    session.commit()


@contextmanager
def count_queries(engine):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
