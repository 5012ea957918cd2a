"""Per-hazard deadlines: which hazards are due when, and where a case goes after each follow-up step.

A notice gives each hazard its own 整改期限 (`Hazard.deadline`, never changed afterwards); `Hazard.due_on`
is when it is due now (later after an approved extension or a 约谈). The case waits for the earliest
due date of its open hazards (`next_due`), is re-inspected, and each hazard is rectified, left to its
own later date, extended, called to 约谈, or escalated to the referral on its own.
"""

from __future__ import annotations

from datetime import date

from webapp.procedures.inspection.models import Hazard, Inspection

# Answers of the re-inspection for one hazard ("yes"/"no" are the original pair: "no" refers).
CHECK_ANSWERS = {"yes": "已整改", "pending": "整改期限未到，继续整改", "interview": "未整改，约谈责任人",
                 "no": "未整改，移交处理"}
SETTLED = ("rectified", "referred", "closed", "corrected_on_spot")
# Where the case goes next (the BPMN gateway `followup_gateway` reads `followup`).
ROUTES = ("refer", "interview", "wait", "referred", "done")


def open_hazards(inspection: Inspection) -> list[Hazard]:
    return [h for h in inspection.hazards if h.status == "open"]


def next_due(inspection: Inspection) -> date | None:
    """The earliest date an open hazard is due: when the case is re-inspected next."""
    return min((h.due_on or h.deadline or inspection.deadline for h in open_hazards(inspection)
                if h.due_on or h.deadline or inspection.deadline), default=None)


def route(inspection: Inspection) -> str:
    """A hazard escalated goes to the referral at once; then 约谈; then wait for the next due date."""
    statuses = {h.status for h in inspection.hazards}
    if "escalated" in statuses:
        return "refer"
    if "interview" in statuses:
        return "interview"
    if "open" in statuses:
        return "wait"
    return "referred" if statuses & {"referred", "closed"} else "done"


def route_data(inspection: Inspection) -> dict:
    """What the workflow needs to route and to time the next wait; a past early application is dropped
    so that it does not set the due date of a later re-inspection."""
    due = next_due(inspection)
    return {"followup": route(inspection), "next_due": due.isoformat() if due else None, "applied_on": None,
            "all_rectified": all(h.status in SETTLED for h in inspection.hazards)}


def apply_check(hazard: Hazard, answer: str, day: date) -> None:
    """One hazard's re-inspection answer; "pending" leaves it open until its own date."""
    if answer == "yes":
        hazard.status, hazard.rectified_on = "rectified", day
    elif answer == "interview":
        hazard.status = "interview"
    elif answer == "no":
        hazard.status = "escalated"


def check_problem(hazard: Hazard, answer: str, day: date) -> str | None:
    """Why an answer cannot be given for this hazard on this day (shown beside the hazard)."""
    if answer == "pending" and (hazard.due_on or date.min) < day:
        return "该隐患整改期限已过，不能选择“整改期限未到”。"
    if answer == "interview" and hazard.interviewed_on:
        return "该隐患已约谈过，仍未整改的应移交处理。"
    return None
