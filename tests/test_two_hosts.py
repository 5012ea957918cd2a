"""Two app hosts on one PostgreSQL database (issue 24, item 3): two `firegrid serve` processes with the
database file store and data dirs of their own share nothing but the database. Requests go to both in turn
(a document issued through one downloads from the other), and both background loops meet the same due
timers and jobs: each timer fires once, each job chunk runs once, numbers stay gap-free."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from tests import factories
from tests.conftest import Browser
from tests.web.test_inspection_flow import at, draft_and_sign_notice, serve, start_inspection
from tests.web.test_letters_http import open_campaign
from tests.web.test_notice_issuance import draft_form
from webapp.extensions import db
from webapp.models import CaseEvent, Document, IssuedNumber, ProcessInstance, WorkTask
from webapp.models.jobs import Job
from webapp.procedures.responsibility_letters.models import ResponsibilityLetter
from webapp.services.storage.database import DatabaseFileStore

REPO = Path(__file__).resolve().parents[1]
SECRET = "two-hosts-share-this-key"  # every host of one install: the same FIREGRID_SECRET_KEY


class Answer:
    """A requests response with the parts of a Flask test response that Browser reads."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code, self.data = response.status_code, response.content
        self.mimetype = response.headers.get("Content-Type", "").split(";")[0]
        self.headers = response.headers

    def get_data(self, as_text: bool = False):  # noqa: ANN201
        return self.data.decode() if as_text else self.data


class TwoHostBrowser(Browser):
    """One person's browser behind a load balancer: each request goes to the next host in turn."""

    def __init__(self, *hosts: str) -> None:
        self.hosts, self.http, self.csrf_token, self.seen = itertools.cycle(hosts), requests.Session(), "", []

    def request(self, method: str, url: str, data=None, **kwargs) -> Answer:  # noqa: ANN001, ANN003
        host = next(self.hosts)
        self.seen.append(host)
        answer = Answer(self.http.request(method, host + url, data=data, allow_redirects=False, timeout=60))
        assert answer.status_code < 500, f"{method} {host}{url}: {answer.status_code} {answer.data[:2000]!r}"
        return answer

    def on(self, host: str, url: str) -> Answer:
        return Answer(self.http.get(host + url, timeout=60))


# A host converts its PDFs on one LibreOffice started on first use, not on a pool started with the server:
# two hosts on one test machine (and the xdist workers beside them) would otherwise run four.
ONE_LAZY_LIBREOFFICE = {"FIREGRID_PDF_LISTENERS": "1", "FIREGRID_PDF_START_EARLY": "0"}


def _start_host(tmp_path: Path, name: str, port: int, database_url: str) -> tuple[subprocess.Popen, str]:
    data_dir = tmp_path / name
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIREGRID_")}
    env.update(PYTHONPATH=str(REPO), FIREGRID_DATABASE_URL=database_url, FIREGRID_DATA_DIR=str(data_dir),
               FIREGRID_FILE_STORE="database", FIREGRID_TIMER_INTERVAL="1", FIREGRID_SECRET_KEY=SECRET,
               FIREGRID_LAYOUT_CHECK="0", **ONE_LAZY_LIBREOFFICE)
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--port", str(port), "--threads", "4"],
                               cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    host = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / f"{name}.log").read_text()[-3000:]
        try:
            if requests.get(host + "/login", timeout=5).status_code == 200:
                return process, host
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError(f"{name} did not start: " + (tmp_path / f"{name}.log").read_text()[-3000:])


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _arrange_due_timers_and_a_job(app, session, small_town, sign_in) -> list[int]:  # noqa: ANN001
    """Three inspections whose rectification deadline passed in October, and a letters campaign over 44 units
    (two chunks of 25 letters, then the combined file) waiting in the job queue."""
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector, clerk, leader = sign_in("inspector"), sign_in("clerk"), sign_in("leader")
    shops = [factories.unit(session, small_town.village.children[0], f"第{i}杂货店", responsible_person="林店主",
                            responsible_phone="13900000001") for i in range(43)]
    session.commit()
    cases = []
    for shop in shops[:3]:
        cases.append(start_inspection(inspector, session, shop, {0: "疏散通道堆放杂物"}).id)
        draft_and_sign_notice(clerk, leader, session)
        serve(clerk)
    open_campaign(app, session, clerk, leader, grid=small_town.village)
    session.commit()
    return cases


def _wait_for_the_loops(session, cases: list[int], timeout: float = 120) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        open_jobs = session.scalar(select(func.count()).select_from(Job).where(Job.status.in_(("pending", "running"))))
        timers_left = session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.id.in_(cases), ProcessInstance.next_timer_at.is_not(None),
            ProcessInstance.next_timer_at < at("2026-11-01T00:00")))
        session.rollback()
        if not open_jobs and not timers_left:
            return
        time.sleep(0.5)
    raise AssertionError("the background loops did not finish the timers and jobs")


def _issue_notice(people: dict[str, TwoHostBrowser], title: str) -> Document:
    clerk, office_head, leader = people["clerk"], people["office_head"], people["leader"]
    assert clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": title}).status_code == 302
    assert clerk.post(f"/tasks/{clerk.inbox_task_id('拟稿')}", draft_form(title=title)).status_code == 302
    assert office_head.post(f"/tasks/{office_head.inbox_task_id('核稿')}", {"decision": "approve"}).status_code == 302
    assert leader.post(f"/tasks/{leader.inbox_task_id('签发')}",
                       {"decision": "approve", "opinion": "同意印发"}).status_code == 302
    db.session.expire_all()
    return db.session.scalar(select(Document).where(Document.title == title))


@pytest.mark.slow
def test_two_hosts_share_nothing_but_the_database(app, session, small_town, sign_in, monkeypatch, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("two app hosts share one PostgreSQL database; SQLite is a file on one host "
                    "(set FIREGRID_TEST_DATABASE_URL to a PostgreSQL database to run this)")
    # The test's own requests store what they upload in the database too, as a third host would.
    monkeypatch.setattr(app.extensions["firegrid.runtime"].documents, "store", DatabaseFileStore(lambda: db.session))
    cases = _arrange_due_timers_and_a_job(app, session, small_town, sign_in)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first, host_a = _start_host(tmp_path, "host-a", _free_port(), url)
    try:
        second, host_b = _start_host(tmp_path, "host-b", _free_port(), url)
        try:
            _wait_for_the_loops(session, cases)
            people = {name: TwoHostBrowser(host_a, host_b) for name in ("clerk", "office_head", "leader")}
            for name, browser in people.items():
                browser.login(name, factories.PASSWORD)
            issued = [_issue_notice(people, f"关于第{n}次消防检查的通知") for n in (1, 2)]
            downloads = {host: [people["clerk"].on(host, f"/documents/{d.id}.docx") for d in issued]
                         for host in (host_a, host_b)}
        finally:
            second.terminate()
            second.wait(30)
    finally:
        first.terminate()
        first.wait(30)
    assert {host_a, host_b} <= set(people["clerk"].seen)
    session.expire_all()
    for answers in downloads.values():  # each document, from each host, is the stored file byte for byte
        assert [hashlib.sha256(a.data).hexdigest() for a in answers] == [d.file_sha256 for d in issued]
        assert all(a.status_code == 200 and a.headers["Content-Length"] == str(len(a.data)) for a in answers)
    assert not any((tmp_path / host / "files").exists() for host in ("host-a", "host-b"))

    # each timer fired once: one timer event and one re-inspection per case
    for case_id in cases:
        timer_events = session.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.instance_id == case_id, CaseEvent.action == "timer"))
        reinspections = session.scalar(select(func.count()).select_from(WorkTask).where(
            WorkTask.instance_id == case_id, WorkTask.step_key == "reinspect"))
        assert (timer_events, reinspections) == (1, 1), case_id
    # each chunk ran once: the job is done and every letter has exactly one document
    job = session.scalar(select(Job))
    assert job.status == "done", (job.status, job.error)
    letters = session.scalars(select(ResponsibilityLetter)).all()
    letter_documents = session.scalar(select(func.count()).select_from(Document).where(
        Document.template_key == "responsibility_letter"))
    assert len(letters) == 45 == letter_documents and all(letter.document_id for letter in letters)
    # numbers gap-free per prefix: the three notices, then the two 通知 issued through both hosts
    serials: dict[tuple[str, int], list[int]] = {}
    for row in session.scalars(select(IssuedNumber).order_by(IssuedNumber.serial)):
        serials.setdefault((row.prefix, row.year), []).append(row.serial)
    assert serials and all(found == list(range(1, len(found) + 1)) for found in serials.values()), serials
    assert [d.number for d in issued] == ["松林府发〔2026〕1号", "松林府发〔2026〕2号"]
