"""`firegrid demo --history` for patrols: in the last two weeks before today the grid workers walk past
some units; most are fine, one hazard is fixed on the spot, two are left as leads for the next inspection."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from webapp.cases.registry import DemoContext
from webapp.clock import TZ
from webapp.demo import scans as demo_scans
from webapp.models import GridNode, Unit, User
from webapp.procedures.patrol import patrols

# (days before today, unit index, hazards: (category, sentence, fixed on the spot))
ROUNDS = [
    (13, 0, []), (12, 1, [("易燃可燃物堆放", "后门纸箱堆到屋檐下", True)]), (10, 2, []),
    (8, 3, [("电动自行车违规停放充电", "店内楼梯下给电动车充电", False)]), (6, 4, []),
    (4, 0, [("疏散通道堵塞", "后门通道堆满货物", False), ("消防设施损坏缺失", "灭火器压力表指向红区", True)]),
    (2, 1, []),
]


def play_demo_history(context: DemoContext) -> None:
    session = context.session
    walkers = [session.scalar(select(User).where(User.username == name)) for name in ("inspector", "inspector2")]
    units = list(session.scalars(select(Unit).join(Unit.grid).where(GridNode.path.startswith(walkers[0].scope.path))
                                 .order_by(Unit.id)))
    if not units:
        return
    for index, (days_before, unit_index, hazards) in enumerate(ROUNDS):
        moment = datetime.combine(context.today.date() - timedelta(days=days_before), time(15, 10), TZ)
        if moment.year != context.year or moment >= context.today:
            continue
        context.clock.set(moment)
        unit = units[unit_index % len(units)]
        entries = [{"category": category, "description": sentence, "fixed_on_spot": "yes" if fixed else "no",
                    "photos": [demo_scans.upload_photo(session, context.services.documents.store,
                                                       f"{unit.name}_{category}", 500 + index, moment)]}
                   for category, sentence, fixed in hazards]
        patrols.start_patrol(session, context.services, user=walkers[index % 2], unit=unit, now=moment, data={
            "outcome": "hazard" if entries else "none", "hazards": entries})
    session.commit()
    context.clock.set(context.today)
