"""Coverage tests' town (services and pages): units inspected in different months through the start form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests import factories
from tests.web.test_inspection_flow import at, record_form
from webapp.clock import TZ
from webapp.models import ProcessInstance
from webapp.services import units


def inspect(visitor, session, unit, day: str, moment: str = "09:30") -> None:  # noqa: ANN001
    data = record_form(visitor, session, unit, {}, day=day)
    data["inspected_time"] = moment
    response = visitor.post("/procedures/inspection/start", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def september_town(app, session, small_town: factories.SmallTown, sign_in) -> factories.SmallTown:  # noqa: ANN001
    """Sept 28: 丰收 inspected Aug 31 23:30 and Sept 3, 松香 June 15, 快乐 Aug 20, 柳岸客栈 never; 新开茶铺 entered
    on Sept 1 (too new to have missed three months)."""
    app.extensions["firegrid.clock"].set(at("2026-09-28T10:00"))
    inspector = sign_in("inspector")
    found = small_town.units
    for unit, day, moment in [(found["丰收便利店"], "2026-08-31", "23:30"),
                              (found["丰收便利店"], "2026-09-03", "09:30"),
                              (found["松香面馆"], "2026-06-15", "09:30"), (found["快乐网咖"], "2026-08-20", "09:30")]:
        inspect(inspector, session, unit, day, moment)
    late = small_town.other_village.children[1]
    small_town.units["新开茶铺"] = units.save_unit(
        session, units.UnitFields(name="新开茶铺", category="small_restaurant", grid=late, address="老街9号"),
        now=datetime(2026, 9, 1, 8, 0, tzinfo=TZ))
    session.commit()
    assert len(session.scalars(select(ProcessInstance)).all()) == 4
    return small_town
