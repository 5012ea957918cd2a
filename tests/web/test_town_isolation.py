"""Issue 17 (towns isolated): on a server with two towns, no page shows town A's users anything of town B.
Every page without path parameters is asked for with `?town=<B>` by each of town A's roles: a
town-by-town page refuses it (403, logged); any other page shows none of B's names."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests import factories
from webapp.models import AuditEvent, EquipmentPoint

SKIP = ("/logout", "/static/", "/setup")  # leave the session, files, the first-start page


def _text(response) -> str:  # noqa: ANN001
    """What the response shows: the page, or every cell of a workbook download."""
    if "spreadsheetml" in response.content_type:
        book = load_workbook(BytesIO(response.data))
        return " ".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row if v)
    return response.get_data().decode("utf-8", errors="replace")


def _pages(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(SKIP)})


@pytest.mark.slow
def test_town_a_sees_nothing_of_town_b_on_any_page(app, session, small_town, sign_in):
    town_b = factories.town(session, "竹溪镇", region=small_town.town.parent)
    village_b = factories.village(session, town_b, "竹溪村", areas=("竹溪一组",))
    factories.unit(session, village_b.children[0], "竹溪茶馆", "small_restaurant")
    session.add(EquipmentPoint(town=town_b, grid=village_b, name="竹溪器材点", keeper="竹溪保管员"))
    session.commit()
    refused_pages = set()
    for username in factories.TOWN_ROLES:
        visitor = sign_in(username)
        for page in _pages(app):
            response = visitor.get(f"{page}?town={town_b.id}")
            html = _text(response)
            assert response.status_code in (200, 302, 403, 404), (username, page, response.status_code)
            if response.status_code == 403:
                refused_pages.add(page)
            else:
                assert "竹溪" not in html, (username, page)
    # the town-by-town pages refused town B rather than quietly showing town A
    assert {"/archive/", "/admin/settings/committee", "/numbers/", "/meetings/series"} <= refused_pages, refused_pages
    denied = session.scalars(select(AuditEvent).where(AuditEvent.action == "access_denied")).all()
    assert denied
