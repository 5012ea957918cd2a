"""文号台账: a town's numbers of a year with their documents; voiding needs a reason and a role, keeps the
number in the ledger and voids its document; another town's numbers are out of scope."""

from __future__ import annotations

from sqlalchemy import select

from tests import factories
from webapp.models import AuditEvent, Document, IssuedNumber
from webapp.services import documents
from webapp.services.documents import Subject


def _issue(app, session, town, title: str) -> Document:
    docs = app.extensions["firegrid.runtime"].documents
    now = app.extensions["firegrid.clock"].now()
    return documents.issue(session, docs, template_key="notice", context=docs.library.spec("notice").sample,
                           title=title, prefix_key="town_notice", subject=Subject(town), user=None, now=now)


def test_ledger_lists_numbers_and_voiding_needs_a_reason_and_a_role(app, session, sign_in, small_town):
    first = _issue(app, session, small_town.town, "关于开展冬季防火检查的通知")
    _issue(app, session, small_town.town, "关于春节期间消防安全的通知")
    session.commit()
    page = sign_in("clerk").get("/numbers/").get_data(as_text=True)
    assert first.number in page and "关于开展冬季防火检查的通知" in page and page.count("有效") == 2
    assert "作废</button>" not in page  # a clerk reads the ledger but voids nothing
    number = session.scalar(select(IssuedNumber).where(IssuedNumber.document_id == first.id))
    assert sign_in("clerk").post(f"/numbers/{number.id}/void", {"reason": "重复印发"}).status_code == 403

    head = sign_in("office_head")
    refused = head.post(f"/numbers/{number.id}/void", {"reason": " "}, follow_redirects=True)
    assert "作废必须填写原因。" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(IssuedNumber, number.id).status == "issued"

    head.post(f"/numbers/{number.id}/void", {"reason": "标题有误，重新发文"})
    session.expire_all()
    assert session.get(IssuedNumber, number.id).status == "void" and session.get(Document, first.id).status == "void"
    page = head.get("/numbers/").get_data(as_text=True)
    assert "已作废：标题有误，重新发文" in page and page.count("有效") == 1
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "number_void")) is not None


def test_another_towns_numbers_are_out_of_scope(app, session, sign_in, small_town):
    other = factories.town(session, "柏树镇", region=small_town.town.parent)
    theirs = _issue(app, session, other, "柏树镇的通知")
    session.commit()
    number = session.scalar(select(IssuedNumber).where(IssuedNumber.document_id == theirs.id))
    head = sign_in("office_head")
    refused = head.get(f"/numbers/?town={other.id}")
    assert refused.status_code == 403 and "柏树镇的通知" not in refused.get_data(as_text=True)
    assert head.post(f"/numbers/{number.id}/void", {"reason": "越权"}).status_code == 403
    session.expire_all()
    assert session.get(IssuedNumber, number.id).status == "issued"
