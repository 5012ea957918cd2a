"""会议系列 (issue 18 item 3): the admin renames a series, changes how often it meets, or makes it 不定期 —
a series held as needed is never shown as overdue on the plan."""

from __future__ import annotations

from datetime import datetime

from webapp.clock import TZ
from webapp.procedures.meeting import meetings


def test_a_series_made_as_needed_is_never_overdue(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(datetime(2026, 11, 20, 9, 0, tzinfo=TZ))
    monthly = next(s for s in meetings.series_of_town(session, small_town.town) if s.interval_months == 1)
    admin = sign_in("admin")
    before = admin.get("/meetings/plan").get_data(as_text=True)
    assert before.count("未召开（已逾期）") >= 10  # the monthly series: every month up to October
    bad = admin.post(f"/meetings/series?series_id={monthly.id}", {"name": "", "interval_months": "0", "issuer": "x"})
    assert bad.status_code == 400 and "请填写会议名称。" in bad.get_data(as_text=True)
    saved = admin.post(f"/meetings/series?series_id={monthly.id}",
                       {"name": "消委会全体会议", "interval_months": "0", "issuer": "松林镇消防安全委员会办公室"})
    assert saved.status_code == 302
    after = admin.get("/meetings/plan").get_data(as_text=True)
    assert "消委会全体会议 <span class=\"muted\">（不定期召开）" in after
    assert after.count("未召开（已逾期）") == before.count("未召开（已逾期）") - 10
    assert sign_in("clerk").get("/meetings/series").status_code == 403
