import re

from tests import factories
from tests.inbox_support import bulk_cases, count_queries
from webapp.extensions import db


def _inbox_queries(app, visitor):
    with app.app_context():
        engine = db.engine
    with count_queries(engine) as statements:
        page = visitor.get("/tasks/").get_data(as_text=True)
    return len(statements), page


def test_inbox_is_a_fixed_number_of_queries_at_100_and_10000_cases(app, session, sign_in, small_town):
    now = app.extensions["firegrid.clock"].now()
    leader = sign_in("leader")
    bulk_cases(session, 100, now)
    small_count, small_page = _inbox_queries(app, leader)
    bulk_cases(session, 9_900, now)
    large_count, large_page = _inbox_queries(app, leader)
    assert small_count == large_count <= 8
    assert len(re.findall(r'href="/tasks/\d+"', small_page)) == 25
    assert len(re.findall(r'href="/tasks/\d+"', large_page)) == 50  # the 50 most urgent per page
    assert '<span class="tag">2500</span>' in large_page
    assert "已逾期" in large_page


def test_inbox_respects_scope_and_roles(app, session, sign_in, small_town):
    now = app.extensions["firegrid.clock"].now()
    # A third village, so that the village rotation (3) and the role rotation (4) cross.
    factories.village(session, small_town.town, "竹溪村")
    bulk_cases(session, 90, now)
    village_inspector = sign_in("village_inspector")
    page = village_inspector.get("/tasks/").get_data(as_text=True)
    titles = set(re.findall(r"批量案件(\d+)", page))
    # villages rotate 松林村, 柳岸社区, 竹溪村 and roles rotate over 4: inspector cases in 松林村 only
    expected = {str(i) for i in range(90) if i % 3 == 0 and i % 4 == 2}
    assert titles == expected
