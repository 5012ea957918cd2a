"""The 发文稿纸's rows come from the final round of the case history: the last 拟稿, then the 核稿, every
co-signer's 会签 and the 签发 completed after it (a round that was sent back does not print)."""

from __future__ import annotations

from datetime import UTC, datetime

from webapp.clock import TZ
from webapp.models import CaseEvent
from webapp.procedures.notice_issuance.issuing_sheet import final_round


def event(number: int, step_key: str, name: str, opinion: str = "", user_id: int = 0) -> CaseEvent:
    # stored in UTC at 17:30 on the day before: the sheet prints the Beijing date (01:30 on day `number`)
    moment = datetime(2026, 3, number, 1, 30, tzinfo=TZ).astimezone(UTC)
    return CaseEvent(id=number, step_key=step_key, actor_name=name, opinion=opinion, user_id=user_id or number,
                     action="complete", at=moment)


def test_only_the_final_round_prints_with_each_co_signer_once():
    history = [
        event(1, "draft", "苏晓梅"), event(2, "review", "秦志远", "请补充要求"),  # this round was sent back
        event(3, "draft", "苏晓梅"), event(4, "review", "秦志远", "已核。"),
        event(5, "countersign", "钱立新", "同意。", user_id=31), event(6, "countersign", "孙文斌", "", user_id=32),
        event(7, "sign_off", "郝国强", "同意印发。"),
    ]
    draft, rows = final_round(history)
    assert draft.id == 3
    assert rows == [
        {"name": "核稿", "person": "秦志远", "opinion": "已核。", "date": "2026-03-04"},
        {"name": "会签", "person": "钱立新", "opinion": "同意。", "date": "2026-03-05"},
        {"name": "会签", "person": "孙文斌", "opinion": "同意", "date": "2026-03-06"},  # no opinion typed: 同意
        {"name": "签发", "person": "郝国强", "opinion": "同意印发。", "date": "2026-03-07"},
    ]


def test_a_history_without_a_draft_lists_what_there_is():
    draft, rows = final_round([event(1, "sign_off", "郝国强", "同意。")])
    assert draft is None and [r["name"] for r in rows] == ["签发"]
