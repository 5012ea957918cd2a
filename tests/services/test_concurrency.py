"""Real concurrency on the test database (SQLite file or PostgreSQL): threads, one app, many sessions."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from tests.thread_support import run_in_threads
from webapp.cases import actions as cases
from webapp.extensions import db
from webapp.models import GridNode, IssuedNumber, ProcessInstance, StoredFile, User, WorkTask
from webapp.services import documents, grid, numbering
from webapp.services.errors import TaskConflict


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _case_waiting_for_review(app, session):
    runtime, now = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"].now()
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    clerk = session.scalar(select(User).where(User.username == "clerk"))
    instance = cases.start_case(session, runtime, procedure_key="test_notice", user=clerk, grid=town,
                                title="并发", data={"title": "并发"}, now=now)
    draft = session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id))
    cases.submit_task(session, runtime, user=clerk, work_task_id=draft.id, now=now,
                      data={"title": "并发", "body": "正文", "approver_names": "leader"})
    session.commit()
    return instance.id, session.scalar(select(WorkTask).where(WorkTask.instance_id == instance.id)).id


def test_two_leaders_complete_the_same_task_one_wins(app, session, small_town):
    case_id, review_id = _case_waiting_for_review(app, session)
    runtime, now = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"].now()

    def approve(index):
        return cases.submit_task(db.session, runtime, user=_user("leader"), work_task_id=review_id,
                                 data={}, now=now, opinion=f"同意{index}")

    results = run_in_threads(app, 2, approve)
    outcomes = Counter(type(result).__name__ for result in results)
    assert outcomes == Counter({"ProcessInstance": 1, "TaskConflict": 1}), results
    conflict = next(r for r in results if isinstance(r, TaskConflict))
    assert "已由他人办理" in conflict.message
    session.expire_all()
    instance = session.get(ProcessInstance, case_id)
    events = [e for e in cases_history(session, case_id) if e.step_key == "review"]
    assert len(events) == 1 and instance.version == 4  # start, draft, review: three saves after insert
    steps = [t.step_key for t in session.scalars(select(WorkTask).where(WorkTask.instance_id == case_id))]
    assert steps == ["countersign"]


def cases_history(session, case_id):
    from webapp.cases.inbox import case_history

    return case_history(session, session.get(ProcessInstance, case_id))


def test_fifty_concurrent_allocations_are_distinct_and_consecutive_per_town(app, session):
    """Two towns on one server number under the same 代字 at once: each counts 1…25 on its own."""
    now = app.extensions["firegrid.clock"].now()
    region = grid.add_node(session, parent=None, level="region", name="示例区")
    towns = [grid.add_node(session, parent=region, level="town", name=name).id for name in ("松林镇", "柏树镇")]
    session.commit()

    def allocate(index):
        issued = numbering.allocate(db.session, town_id=towns[index % 2], prefix="某府发", year=2026,
                                    grammar="wenhao", now=now)
        return issued.town_id, issued.serial

    allocated = run_in_threads(app, 50, allocate)
    for town_id in towns:
        assert sorted(serial for town, serial in allocated if town == town_id) == list(range(1, 26)), allocated
    numbers = [(row.town_id, row.number) for row in session.scalars(select(IssuedNumber))]
    assert len(set(numbers)) == 50 and {(town_id, "某府发〔2026〕25号") for town_id in towns} <= set(numbers)


def test_failure_after_allocation_consumes_no_number_and_leaves_no_file(app, session, small_town):
    runtime, now = app.extensions["firegrid.runtime"], app.extensions["firegrid.clock"].now()
    town = session.scalar(select(GridNode).where(GridNode.level == "town"))
    context = dict(runtime.documents.library.spec("notice").sample, title="会回滚的通知")
    def stored_files():
        return {path for path in runtime.documents.store.root.rglob("*") if path.is_file()}

    files_before = stored_files()
    with pytest.raises(RuntimeError):
        documents.issue(session, runtime.documents, template_key="notice", context=context, title="会回滚的通知",
                        prefix_key="town_notice", subject=documents.Subject(town), user=None, now=now)
        raise RuntimeError("printer on fire")
    session.rollback()
    assert stored_files() == files_before
    assert session.scalar(select(StoredFile.sha256).limit(1)) is None
    issued = documents.issue(session, runtime.documents, template_key="notice", context=context, title="通知",
                             prefix_key="town_notice", subject=documents.Subject(town), user=None, now=now)
    assert issued.number == f"松林府发〔{now.year}〕1号"


def test_same_new_file_stored_by_two_transactions_survives_the_others_rollback(app, session):
    """A stores new bytes, B stores the same bytes, A rolls back (removing "its" file), B commits:
    the committed row must still have its file, and B must not fail on the duplicate row."""
    store, now = app.extensions["firegrid.runtime"].documents.store, app.extensions["firegrid.clock"].now()
    content = b"%PDF-1.4 shared scan " + now.isoformat().encode()
    a_stored, b_started = threading.Event(), threading.Event()

    def transaction_a():
        with app.app_context():
            store.put(db.session, content, "application/pdf", now)
            a_stored.set()
            b_started.wait(10)
            threading.Event().wait(0.3)  # let B reach its insert
            db.session.rollback()
            db.session.remove()

    def transaction_b():
        with app.app_context():
            a_stored.wait(10)
            b_started.set()
            sha256 = store.put(db.session, content, "application/pdf", now).sha256
            db.session.commit()
            db.session.remove()
            return sha256

    threads = [threading.Thread(target=transaction_a)]
    result = {}
    threads.append(threading.Thread(target=lambda: result.setdefault("sha", transaction_b())))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert store.verify(result["sha"])
    assert session.get(StoredFile, result["sha"]) is not None


def test_two_clerks_record_the_same_letter_signed_at_once_one_wins(app, session, small_town, sign_in):
    """Issue 17, item 7: both load the issued letter, then both record it signed; one wins, one is told."""
    from tests.web.test_letters_http import open_campaign, run_jobs
    from webapp.procedures.responsibility_letters import signing
    from webapp.procedures.responsibility_letters.models import LetterEvent, ResponsibilityLetter

    campaign = open_campaign(app, session, sign_in("clerk"), sign_in("leader"), grid=small_town.town)
    run_jobs(app, session)
    letter_id = session.scalar(select(ResponsibilityLetter.id).where(ResponsibilityLetter.campaign_id == campaign.id)
                               .order_by(ResponsibilityLetter.id))
    session.commit()
    now, loaded = app.extensions["firegrid.clock"].now(), threading.Barrier(2)

    def record(index):
        user = _user("clerk")
        letter = signing.get_letter(db.session, user, letter_id)
        assert letter.status == "issued"
        loaded.wait()  # both have seen it unsigned before either writes
        signing.sign(db.session, letter, signing.Signing(now.date(), signatory_b=f"签字人{index}"), user=user,
                     now=now)
        return letter.signatory_b

    results = run_in_threads(app, 2, record)
    conflicts = [r for r in results if isinstance(r, TaskConflict)]
    assert len(conflicts) == 1 and "已由他人登记为“已签订”" in conflicts[0].message, results
    winner = next(r for r in results if isinstance(r, str))
    session.expire_all()
    letter = session.get(ResponsibilityLetter, letter_id)
    assert letter.status == "signed" and letter.signatory_b == winner
    events = session.scalars(select(LetterEvent.action).where(LetterEvent.letter_id == letter_id)).all()
    assert events.count("sign") == 1
