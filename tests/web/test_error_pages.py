"""The error pages themselves: an unexpected error answers the Chinese 500 page with the menu, even when it
broke the request's database session half-way through a flush."""

from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from webapp.extensions import db
from webapp.models import ProcessInstance


def test_a_database_error_mid_flush_still_gets_the_500_page(app, session, small_town, sign_in, monkeypatch):
    def fail(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        if statement.lstrip().upper().startswith("INSERT INTO PROCESS_INSTANCE"):
            raise OperationalError(statement, parameters, Exception("server closed the connection"))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: Flask's 500 handler
    clerk = sign_in("clerk")
    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        answer = clerk.post("/procedures/notice_issuance/start", {"kind": "通知", "title": "关于春检的通知"})
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "服务器内部错误" in page
    assert "苏晓梅" in page  # the page's header read the signed-in user through the rolled-back session
    assert session.scalar(select(func.count(ProcessInstance.id))) == 0
    assert clerk.get("/tasks/").status_code == 200


def test_with_the_database_gone_the_500_page_still_answers_in_chinese(app, session, small_town, sign_in,
                                                                      monkeypatch):
    def gone(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        raise OperationalError(statement, parameters, Exception("could not connect to server"))

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    clerk = sign_in("clerk")
    event.listen(db.engine, "before_cursor_execute", gone)
    try:
        answer = clerk.get("/tasks/")
    finally:
        event.remove(db.engine, "before_cursor_execute", gone)
    assert answer.status_code == 500 and "服务器内部错误" in answer.get_data(as_text=True)
