import re

from sqlalchemy import select

from webapp.models import AuditEvent, GridNode, Unit


def _unit_ids_in(session, village_name):
    village = session.scalar(select(GridNode).where(GridNode.name == village_name))
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


def test_village_clerk_sees_exactly_her_village(login_as, session):
    clerk = login_as("clerk_shiqiao")
    expected = _unit_ids_in(session, "石桥村")
    assert expected and _listed_unit_ids(clerk) == expected


def test_town_clerk_sees_all_sixty_units(login_as, session):
    assert len(_listed_unit_ids(login_as("clerk"))) == 60


def test_unit_outside_scope_is_403_and_audited(login_as, session):
    clerk = login_as("clerk_shiqiao")
    other = next(iter(_unit_ids_in(session, "青石村")))
    response = clerk.get(f"/units/{other}")
    assert response.status_code == 403
    assert "不在您的管辖范围内" in response.get_data(as_text=True)
    denial = session.scalar(select(AuditEvent).where(AuditEvent.action == "access_denied"))
    assert denial.username == "clerk_shiqiao" and str(other) in denial.summary


def test_own_unit_opens(login_as, session):
    clerk = login_as("clerk_shiqiao")
    own = next(iter(_unit_ids_in(session, "石桥村")))
    assert clerk.get(f"/units/{own}").status_code == 200


def test_grid_node_outside_scope_is_403(login_as, session):
    village = session.scalar(select(GridNode).where(GridNode.name == "青石村"))
    assert login_as("inspector_shiqiao").get(f"/grid/{village.id}").status_code == 403


def test_admin_pages_refuse_other_roles(login_as):
    clerk = login_as("clerk")
    assert clerk.get("/admin/users").status_code == 403
    assert clerk.get("/units/import").status_code == 403


def test_search_filters_by_category_and_text(login_as):
    clerk = login_as("clerk")
    html = clerk.get("/units/?category=small_internet_cafe").get_data(as_text=True)
    assert "极速网吧" in html and "星空网咖" in html and "惠民超市" not in html
    html = clerk.get("/units/?q=网咖").get_data(as_text=True)
    assert "星空网咖" in html and "极速网吧" not in html
