"""A tracked-changes DOCX (痕迹稿) from two renderings of one document: the newer file, with what changed since
the older one marked as native Word revisions (w:ins / w:del, author and date), which Word and LibreOffice show
and let a reader accept or reject.

Both files come from the same template, so their paragraphs line up: paragraphs are matched by text, and
inside a changed paragraph the runs are compared by jieba word (Word's own compare works by character on CJK,
which scatters a changed word into single-character revisions). A run that is more than text — a name kept
whole in a ruby, a drawing — is compared as one piece and kept as it is.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from itertools import count

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from webapp.clock import TZ
from webapp.documents.docx_text import paragraph_text
from webapp.documents.fitting import segment

SIMPLE = {qn("w:rPr"), qn("w:t"), qn("w:tab"), qn("w:br")}
CHARACTERS = {"\t": "w:tab", "\n": "w:br"}


@dataclass(frozen=True)
class Stamp:
    """Who made the changes and when, with the counter of revision ids (unique in the document)."""

    author: str
    date: str
    ids: count

    def mark(self, tag: str) -> etree._Element:
        element = OxmlElement(tag)
        element.set(qn("w:id"), str(next(self.ids)))
        element.set(qn("w:author"), self.author)
        element.set(qn("w:date"), self.date)
        return element


@dataclass
class Unit:
    """One character of a plain text run (with that run's properties), or a whole run that is more than text."""

    text: str
    rpr: etree._Element | None = None
    run: etree._Element | None = None  # set for a run kept whole


def tracked_docx(old: bytes, new: bytes, *, author: str, at: datetime) -> bytes:
    """The `new` DOCX with its differences from `old` as revisions by `author` at `at`."""
    old_doc, new_doc = Document(io.BytesIO(old)), Document(io.BytesIO(new))
    old_ps = list(old_doc.element.body.iter(qn("w:p")))
    new_ps = list(new_doc.element.body.iter(qn("w:p")))
    taken = [int(v) for v in new_doc.element.xpath("//@w:id") if str(v).isdigit()]
    # Beijing wall-clock time without a zone: Word reads w:date as local time whatever the suffix says
    stamp = Stamp(author, at.astimezone(TZ).strftime("%Y-%m-%dT%H:%M:%S"), count(max(taken, default=0) + 1))
    matcher = SequenceMatcher(None, [paragraph_text(p) for p in old_ps], [paragraph_text(p) for p in new_ps],
                              autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(a2 - a1, b2 - b1)
        for old_p, new_p in zip(old_ps[a1:a1 + paired], new_ps[b1:b1 + paired], strict=True):
            _redline(old_p, new_p, stamp)
        for new_p in new_ps[b1 + paired:b2]:
            _mark_paragraph(new_p, "w:ins", stamp)
        _restore_deleted(old_ps[a1 + paired:a2], new_ps, b1 + paired, stamp)
    out = io.BytesIO()
    new_doc.save(out)
    return out.getvalue()


def _restore_deleted(deleted: list, new_ps: list, at: int, stamp: Stamp) -> None:
    """Put deleted paragraphs back where they stood (before the new paragraph at `at`), marked deleted."""
    for old_p in deleted:
        copy_p = copy.deepcopy(old_p)
        for section in list(copy_p.iter(qn("w:sectPr"))):  # the new file keeps its own section breaks
            section.getparent().remove(section)
        _mark_paragraph(copy_p, "w:del", stamp)
        if at < len(new_ps):
            new_ps[at].addprevious(copy_p)
        else:
            new_ps[-1].addnext(copy_p)


def _units(p: etree._Element) -> list[Unit]:
    units = []
    for run in p.findall(qn("w:r")):
        if any(child.tag not in SIMPLE for child in run):
            units.append(Unit(_run_text(run), run=run))
            continue
        rpr = run.find(qn("w:rPr"))
        for child in run:
            if child.tag == qn("w:t"):
                units.extend(Unit(char, rpr) for char in child.text or "")
            elif child.tag != qn("w:rPr"):
                units.append(Unit("\t" if child.tag == qn("w:tab") else "\n", rpr))
    return units


def _run_text(run: etree._Element) -> str:
    """A whole run's own text (a ruby's base): a text box's paragraphs inside it are compared on their own."""
    return "".join(t.text or "" for t in run.iter(qn("w:t"))
                   if not any(a.tag == qn("w:txbxContent") for a in t.iterancestors()))


def _tokens(units: list[Unit]) -> list[list[Unit]]:
    """Units grouped into jieba words; a whole run is a token of its own."""
    plain = "".join(u.text if u.run is None else "\x00" for u in units)
    ends, offset = set(), 0
    for word in segment(plain):
        offset += len(word)
        ends.add(offset)
    tokens: list[list[Unit]] = []
    current: list[Unit] = []
    for index, unit in enumerate(units, start=1):
        if unit.run is not None:
            tokens.extend([current, [unit]] if current else [[unit]])
            current = []
            continue
        current.append(unit)
        if index in ends:
            tokens.append(current)
            current = []
    return tokens + ([current] if current else [])


def _key(token: list[Unit]) -> str:
    return "".join(unit.text for unit in token)


def _redline(old_p: etree._Element, new_p: etree._Element, stamp: Stamp) -> None:
    """Rewrite the new paragraph's runs as equal / inserted / deleted pieces."""
    old_tokens, new_tokens = _tokens(_units(old_p)), _tokens(_units(new_p))
    matcher = SequenceMatcher(None, [_key(t) for t in old_tokens], [_key(t) for t in new_tokens], autojunk=False)
    pieces: list[etree._Element] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces += _runs([u for t in new_tokens[b1:b2] for u in t], deleted=False)
            continue
        if a2 > a1:
            pieces.append(_wrapped(stamp.mark("w:del"), _runs([u for t in old_tokens[a1:a2] for u in t], True)))
        if b2 > b1:
            pieces.append(_wrapped(stamp.mark("w:ins"), _runs([u for t in new_tokens[b1:b2] for u in t], False)))
    runs = new_p.findall(qn("w:r"))
    anchor = runs[0].getprevious() if runs else new_p.find(qn("w:pPr"))
    for run in runs:
        new_p.remove(run)
    position = new_p.index(anchor) + 1 if anchor is not None else 0
    for offset, piece in enumerate(pieces):
        new_p.insert(position + offset, piece)


def _runs(units: list[Unit], deleted: bool) -> list[etree._Element]:
    """Runs for the units: consecutive characters with the same properties share a run. A whole run of the
    new paragraph moves as it is (a text box inside it is compared on its own); a deleted one is a copy."""
    runs: list[etree._Element] = []
    current, current_rpr = None, None
    for unit in units:
        if unit.run is not None:
            runs.append(_as_deleted(copy.deepcopy(unit.run)) if deleted else unit.run)
            current = None
            continue
        if current is None or current_rpr is not unit.rpr:
            current, current_rpr = _new_run(unit.rpr), unit.rpr
            runs.append(current)
        _append_text(current, unit.text, deleted)
    return runs


def _new_run(rpr: etree._Element | None) -> etree._Element:
    run = OxmlElement("w:r")
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    return run


def _append_text(run: etree._Element, text: str, deleted: bool) -> None:
    if text in CHARACTERS:
        run.append(OxmlElement(CHARACTERS[text]))
        return
    tag = qn("w:delText") if deleted else qn("w:t")
    last = run[-1] if len(run) else None
    if last is None or last.tag != tag:
        last = OxmlElement("w:delText" if deleted else "w:t")
        last.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(last)
    last.text = (last.text or "") + text


def _as_deleted(run: etree._Element) -> etree._Element:
    for t in run.iter(qn("w:t")):
        t.tag = qn("w:delText")
    return run


def _wrapped(mark: etree._Element, runs: list[etree._Element]) -> etree._Element:
    for run in runs:
        mark.append(run)
    return mark


def _mark_paragraph(p: etree._Element, tag: str, stamp: Stamp) -> None:
    """A whole paragraph inserted or deleted: its runs and its paragraph mark."""
    for run in p.findall(qn("w:r")):
        mark = stamp.mark(tag)
        run.addprevious(mark)
        mark.append(_as_deleted(run) if tag == "w:del" else run)
    _mark_rpr(p.get_or_add_pPr()).insert(0, stamp.mark(tag))


def _mark_rpr(ppr: etree._Element) -> etree._Element:
    """The paragraph mark's properties, created in schema order (before w:sectPr and w:pPrChange)."""
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        later = next((c for c in ppr if c.tag in (qn("w:sectPr"), qn("w:pPrChange"))), None)
        if later is not None:
            later.addprevious(rpr)
        else:
            ppr.append(rpr)
    return rpr
