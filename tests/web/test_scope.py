import re

from sqlalchemy import select

from tests import factories
from webapp.models import AuditEvent, GridNode, Unit


def _unit_ids_in(session, village):
    units = session.scalars(select(Unit).join(Unit.grid).where(GridNode.path.startswith(village.path)))
    return {u.id for u in units}


def _listed_unit_ids(visitor):
    ids, page = set(), 1
    while True:
        html = visitor.get(f"/units/?page={page}").get_data(as_text=True)
        found = {int(i) for i in re.findall(r'href="/units/(\d+)"', html)}
        if not found:
            return ids
        ids |= found
        page += 1


def test_village_clerk_sees_exactly_her_village(sign_in, session, small_town):
    clerk = sign_in("village_clerk")
    expected = _unit_ids_in(session, small_town.village)
    assert expected and _listed_unit_ids(clerk) == expected


def test_town_clerk_sees_all_units_across_pages(sign_in, session, small_town):
    # More units than one page holds, so the town clerk's list must page through all of them.
    area = small_town.other_village.children[0]
    for n in range(60):
        factories.unit(session, area, f"测试商店{n:02d}")
    session.commit()
    assert len(_listed_unit_ids(sign_in("clerk"))) == 64


def test_unit_outside_scope_is_403_and_audited(sign_in, session, small_town):
    clerk = sign_in("village_clerk")
    other = next(iter(_unit_ids_in(session, small_town.other_village)))
    response = clerk.get(f"/units/{other}")
    assert response.status_code == 403
    assert "不在您的管辖范围内" in response.get_data(as_text=True)
    denial = session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied"))
    assert denial.username == "village_clerk" and str(other) in denial.summary


def test_own_unit_opens(sign_in, session, small_town):
    clerk = sign_in("village_clerk")
    own = next(iter(_unit_ids_in(session, small_town.village)))
    assert clerk.get(f"/units/{own}").status_code == 200


def test_grid_node_outside_scope_is_403(sign_in, small_town):
    assert sign_in("village_inspector").get(f"/grid/{small_town.other_village.id}").status_code == 403


def test_admin_pages_refuse_other_roles(sign_in, small_town):
    clerk = sign_in("clerk")
    assert clerk.get("/admin/users").status_code == 403
    assert clerk.get("/units/import").status_code == 403


def test_search_filters_by_category_and_text(sign_in, session, small_town):
    factories.unit(session, small_town.village.children[0], "星空网吧", "small_internet_cafe")
    session.commit()
    clerk = sign_in("clerk")
    html = clerk.get("/units/?category=small_internet_cafe").get_data(as_text=True)
    assert "快乐网咖" in html and "星空网吧" in html and "丰收便利店" not in html
    html = clerk.get("/units/?q=网咖").get_data(as_text=True)
    assert "快乐网咖" in html and "星空网吧" not in html
