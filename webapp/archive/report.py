"""四性检测 (DA/T 70-2018) of an export: authenticity, integrity, usability, security.

The report is filled while items are written (each file once) and finished with the
number-ledger check; it is saved as 四性检测报告.json (read by verify) and .txt (for people).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from webapp.documents.inspection import Inspection
from webapp.models import Document, IssuedNumber

PROPERTIES = {"authenticity": "真实性", "integrity": "完整性", "usability": "可用性", "security": "安全性"}
REPORT_JSON, REPORT_TXT = "四性检测报告.json", "四性检测报告.txt"
LEDGER_PART = 200  # numbers read at once


@dataclass
class ArchiveReport:
    year: int
    fonds: str
    export_date: str
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)
    explained: list[str] = field(default_factory=list)  # voided numbers and why
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def fail(self, prop: str, message: str) -> None:
        self.problems[prop].append(message)

    def check_code(self, code: str, expected: str) -> None:
        """档号 as the pattern makes it (else the pattern changed since)."""
        if code != expected:
            self.notes.append(f"档号 {code} 按原规则分配，与现行档号格式（{expected}）不同，保持不变。")

    def check_repeated_codes(self, repeated: Iterable[tuple[str, int]]) -> None:
        """档号 are unique in the package: (code, times) of each one written more than once."""
        for code, times in repeated:
            for _ in range(times - 1):
                self.fail("authenticity", f"档号重复：{code}")

    def check_file(self, label: str, *, expected_sha: str, sha: str, expected_size: int, size: int) -> None:
        self.counts["files"] += 1
        if sha != expected_sha or size != expected_size:
            self.fail("authenticity", f"{label}：存储内容与登记的摘要或大小不符")

    def check_opens(self, label: str, inspection: Inspection) -> None:
        if not inspection.opens:
            self.fail("usability", f"{label}：{inspection.problem}")
        if inspection.unsafe:
            self.fail("security", f"{label}：{inspection.unsafe}")

    @property
    def passed(self) -> bool:
        return not any(self.problems.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "年度": self.year, "全宗号": self.fonds, "检测日期": self.export_date, "通过": self.passed,
            "统计": dict(self.counts),
            "检测项": {label: {"通过": not self.problems.get(key), "问题": list(self.problems.get(key, []))}
                     for key, label in PROPERTIES.items()},
            "作废文号说明": self.explained, "说明": self.notes,
        }

    def files(self) -> list[tuple[str, bytes]]:
        """四性检测报告.json (read by verify) and .txt, as (name, content)."""
        data = self.as_dict()
        return [(REPORT_JSON, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")),
                (REPORT_TXT, render_text(data).encode("utf-8"))]


def render_text(data: dict[str, Any]) -> str:
    lines = [f"四性检测报告　全宗号 {data['全宗号']}　年度 {data['年度']}　检测日期 {data['检测日期']}",
             f"结论：{'通过' if data['通过'] else '未通过'}", ""]
    stats = data["统计"]
    lines.append(f"件数 {stats.get('items', 0)}，文件数 {stats.get('files', 0)}。")
    for label, result in data["检测项"].items():
        lines.append(f"{label}：{'通过' if result['通过'] else '未通过'}")
        lines.extend(f"  - {problem}" for problem in result["问题"])
    if data["作废文号说明"]:
        lines += ["", "作废文号说明："] + [f"  - {line}" for line in data["作废文号说明"]]
    if data["说明"]:
        lines += ["", "说明："] + [f"  - {line}" for line in data["说明"]]
    return "\n".join(lines) + "\n"


def check_numbers(session: Session, report: ArchiveReport, town_id: int,
                  exported: Callable[[list[int]], set[int]]) -> None:
    """Each prefix's numbers of the town's year: a hole in the ledger is a gap; a void record explains itself; an
    issued document the package does not hold (`exported`: which of these the package holds) is noted. The ledger
    is read in order, a part at a time: nothing is kept per number."""
    # columns, not ORM rows: a year of 20,000 numbers is read as plain tuples
    rows = session.execute(select(IssuedNumber.prefix, IssuedNumber.serial, IssuedNumber.status, IssuedNumber.number,
                                  IssuedNumber.void_reason, IssuedNumber.document_id,
                                  Document.status.label("document_status"))
                           .outerjoin(Document, Document.id == IssuedNumber.document_id)
                           .where(IssuedNumber.town_id == town_id, IssuedNumber.year == report.year)
                           .order_by(IssuedNumber.prefix, IssuedNumber.serial)
                           .execution_options(yield_per=LEDGER_PART))
    prefix, last, numbers = None, None, 0  # last: the prefix's highest serial so far
    for part in rows.partitions():
        held = exported([n.document_id for n in part if n.status != "void" and n.document_status == "issued"])
        for number in part:
            if number.prefix != prefix:
                prefix, last = number.prefix, None
            if number.serial != last:  # the same serial twice counts once
                numbers += 1
                for serial in range((last or 0) + 1, number.serial):
                    report.fail("integrity", f"文号断号：{prefix}〔{report.year}〕第{serial}号 无登记，也无作废记录")
                last = number.serial
            _check_number(report, number, held)
    report.counts["numbers"] = numbers


def _check_number(report: ArchiveReport, number: Row, held: set[int]) -> None:
    if number.status == "void":
        report.explained.append(f"{number.number}（{number.prefix}第{number.serial}号）已作废："
                                f"{number.void_reason or '未填写原因'}，不作为归档件。")
    elif number.document_status == "issued" and number.document_id not in held:
        report.notes.append(f"{number.number} 未纳入本次导出（案件办理中或未选择该类别）。")
