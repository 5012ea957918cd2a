"""转办 candidates: everyone else who holds the step's role and whose scope covers the case."""

from sqlalchemy import select

from webapp.cases import actions as cases
from webapp.models import GridNode, User, WorkTask


def _user(session, username):
    return session.scalar(select(User).where(User.username == username))


def _task(session, role, grid_name):
    grid = session.scalar(select(GridNode).where(GridNode.name == grid_name))
    return WorkTask(role=role, scope_path=grid.path, step_key="x", title="x")


def test_village_clerk_task_can_go_to_the_town_clerk_and_back(session, demo):
    village_task = _task(session, "clerk", "石桥村")
    town_clerk, village_clerk = _user(session, "clerk"), _user(session, "clerk_shiqiao")
    assert cases.reassign_candidates(session, village_task, _user(session, "leader")) == [town_clerk, village_clerk]
    assert cases.reassign_candidates(session, village_task, town_clerk) == [village_clerk]


def test_town_task_excludes_village_staff_and_oneself(session, demo):
    town_task = _task(session, "clerk", "青石镇")
    assert cases.reassign_candidates(session, town_task, _user(session, "clerk")) == []
    assert cases.reassign_candidates(session, town_task, _user(session, "leader")) == [_user(session, "clerk")]
