"""台账汇编 pages: a clerk queues the binder and its page shows the progress the job records; without
LibreOffice the page says so and queues nothing; another town's job and absurd ids are 404, a village user
is refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from webapp.clock import TZ
from webapp.models import AuditEvent, Job

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


def _jobs(session) -> list[Job]:  # noqa: ANN001
    session.expire_all()
    return list(session.scalars(select(Job).where(Job.kind == "ledger_binder")))


def test_a_clerk_queues_the_binder_and_sees_its_progress(app, session, sign_in, small_town):
    if not app.extensions["firegrid.runtime"].documents.pdf.available():
        import pytest

        pytest.skip("LibreOffice is not installed")
    app.extensions["firegrid.clock"].set(NOW)
    clerk = sign_in("clerk")
    page = clerk.get("/binder/").get_data(as_text=True)
    assert "生成台账汇编" in page and "组织机构与网格" in page and "2026年" in page
    refused = clerk.post("/binder/", {"year": "2026"})
    assert refused.status_code == 400 and "请至少选择一个汇编类别" in refused.get_data(as_text=True)
    assert clerk.post("/binder/", {"year": "1900", "sections": ["责任书"]}).status_code == 400
    done = clerk.post("/binder/", {"year": "2026", "sections": ["责任书", "考评"]})
    [job] = _jobs(session)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/binder/jobs/{job.id}")
    assert job.params["plan"] == [["责任书", []], ["考评", []]] and job.total == 1
    assert session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "ledger_binder_start")) == 1
    waiting = clerk.get(f"/binder/jobs/{job.id}").get_data(as_text=True)
    assert "排队中" in waiting and 'http-equiv="refresh"' in waiting
    job.status, job.phase, job.done, job.total = "running", "转换文件", 3, 4  # as a worker leaves it mid-way
    session.commit()
    running = clerk.get(f"/binder/jobs/{job.id}").get_data(as_text=True)
    assert "转换文件" in running and 'value="75"' in running and "（3/4）" in running
    assert "生成台账汇编" in clerk.get("/binder/").get_data(as_text=True)
    assert clerk.get(f"/binder/jobs/{job.id}/binder.pdf").status_code == 404  # not made yet


def test_without_libreoffice_the_page_says_so(app, session, sign_in, small_town, without_libreoffice):
    clerk = sign_in("clerk")
    page = clerk.get("/binder/").get_data(as_text=True)
    assert "服务器未安装 PDF 转换组件（LibreOffice），不能生成台账汇编" in page and "<button" not in page.split(
        "<h2>已生成的汇编</h2>")[0].split("台账汇编</h1>")[1]
    response = clerk.post("/binder/", {"year": "2026", "sections": ["责任书"]})
    assert response.status_code == 503 and "不能生成台账汇编" in response.get_data(as_text=True)
    assert _jobs(session) == []


def test_strangers_and_absurd_ids(app, session, sign_in, small_town):
    clerk = sign_in("clerk")
    for url in ("/binder/jobs/999999", "/binder/jobs/999999/binder.pdf", "/binder/jobs/99999999999999999999"):
        assert clerk.get(url).status_code == 404, url
    assert sign_in("inspector").get("/binder/").status_code == 403  # not an office role
    village_clerk = sign_in("village_clerk")
    assert village_clerk.get("/binder/").status_code == 403  # the town's binder is the town office's
    assert village_clerk.get("/binder/jobs/1").status_code == 403
