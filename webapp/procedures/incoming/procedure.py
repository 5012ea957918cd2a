"""Procedure `incoming` (收文): 签收/登记 (the start form, with a 收文编号) → 拟办 → 批办 (the leader names the
承办 person and the 传阅 readers) → 承办 and 传阅 in parallel (one 已阅 task per reader) → 办结, which makes
the 收文处理单 and files it with the received file as one archive item.

BPMN (workflows/incoming.bpmn) decides the order; this module decides the content of each step.
"""

from __future__ import annotations

from webapp.cases.registry import DemoContext, NumberUse, Procedure
from webapp.procedures.incoming import incoming


def _play_demo_history(context: DemoContext) -> None:
    from webapp.procedures.incoming import demo

    demo.play(context)


PROCEDURE = Procedure(
    key=incoming.PROCEDURE_KEY, title="收文办理", start_roles=("clerk",), start_form="incoming_register",
    after_start=incoming.register, case_title=incoming.case_title,
    before_complete={"assign": incoming.check_assignment},
    after_complete={"propose": incoming.record_proposal, "assign": incoming.record_assignment,
                    "read": incoming.record_reading, "handle": incoming.record_handling, "close": incoming.close},
    task_subject=incoming.task_subject, preview_context=incoming.preview,
    number_prefixes=(NumberUse(incoming.PREFIX_KEY, "收文编号", "di", suggested="{short}收"),),
    retention={incoming.SHEET: "D30"},
    case_panel="procedures/incoming/context.html",
    play_demo_history=_play_demo_history, demo_order=50,
)
