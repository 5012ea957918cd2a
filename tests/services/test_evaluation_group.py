"""The reason rule of 考评组评分: a deduction the body itself conceded (its 自评, or the measured score) needs
no new reason; awarding less than the body's own figure does; bonus items never do."""

from __future__ import annotations

from webapp.procedures.evaluation.group import needs_reason, own_figure
from webapp.procedures.evaluation.models import ItemScore


def item(kind: str, points: float = 10, self_score: float | None = None, measured: float | None = None) -> ItemScore:
    return ItemScore(kind=kind, points=points, self_score=self_score, measured_score=measured, content="项目")


def test_agreeing_with_the_self_score_needs_no_reason_but_going_below_it_does():
    assessed = item("assessed", self_score=6)
    assert own_figure(assessed) == 6
    assert not needs_reason(assessed, 6) and not needs_reason(assessed, 8) and not needs_reason(assessed, 10)
    assert needs_reason(assessed, 5.5)


def test_measured_items_weigh_against_the_measured_score_and_unassessed_ones_against_the_points():
    measured = item("measured", self_score=7, measured=7)
    assert not needs_reason(measured, 7) and needs_reason(measured, 6)
    unassessed = item("assessed")
    assert needs_reason(unassessed, 9.5) and not needs_reason(unassessed, 10)


def test_bonus_points_are_never_a_deduction():
    bonus = item("bonus", points=5, self_score=3)
    assert not needs_reason(bonus, 0) and not needs_reason(bonus, 3)
