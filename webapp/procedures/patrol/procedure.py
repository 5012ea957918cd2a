"""Procedure `patrol` (巡查): one grid worker records a quick visit of a unit; the case ends at once.

A hazard not fixed on the spot becomes a lead (webapp.cases.leads) that the unit's next inspection
takes up; patrols are visits for coverage and entries of the unit file.
"""

from __future__ import annotations

from webapp.cases.registry import Procedure
from webapp.procedures.patrol import patrols
from webapp.procedures.patrol.demo import play_demo_history

PROCEDURE = Procedure(
    key="patrol", title="网格巡查", start_roles=("inspector",), start_form="patrol_form",
    after_start=patrols.record_patrol, case_title=patrols.case_title,
    play_demo_history=play_demo_history, demo_order=30,
    case_panel="procedures/patrol/context.html",
    unit_events=patrols.unit_events, unit_visits=patrols.unit_visits, visited_unit_ids=patrols.visited_unit_ids,
    campaign_figures=patrols.campaign_figures,
    measures=patrols.MEASURES,
)
