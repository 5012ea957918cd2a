"""转办 candidates: everyone else who holds the step's role and whose scope covers the case."""

from webapp.cases import actions as cases
from webapp.models import WorkTask


def _task(role, grid):
    return WorkTask(role=role, scope_path=grid.path, step_key="x", title="x")


def test_village_clerk_task_can_go_to_the_town_clerk_and_back(session, small_town):
    users = small_town.users
    village_task = _task("clerk", small_town.village)
    town_clerk, village_clerk = users["clerk"], users["village_clerk"]
    assert cases.reassign_candidates(session, village_task, users["leader"]) == [town_clerk, village_clerk]
    assert cases.reassign_candidates(session, village_task, town_clerk) == [village_clerk]


def test_town_task_excludes_village_staff_and_oneself(session, small_town):
    users = small_town.users
    town_task = _task("clerk", small_town.town)
    assert cases.reassign_candidates(session, town_task, users["clerk"]) == []
    assert cases.reassign_candidates(session, town_task, users["leader"]) == [users["clerk"]]
