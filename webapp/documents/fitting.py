"""Fitting text to the GB/T 9704 lines before LibreOffice or Word lays it out.

- Titles (2号 小标宋, 20 characters a line) are broken between words into a balanced 梯形 or
  菱形 (GB/T 9704 §7.3.1: 回行时词意完整、排列对称、长短适宜). A clerk places the break with
  ``|`` (or ``｜``); otherwise the CJK word segmenter jieba finds the word boundaries.
- The 发文机关标志 shrinks to stay on one line: 30 pt down to 22 pt (never smaller than the
  title, 2号), then narrower characters (w:w down to 60 %) for very long joint names.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import threading
from functools import lru_cache

from lxml import etree

from webapp.documents.ooxml import _el
from webapp.documents.xml_text import xml_safe

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
BLOCK_PT = 156 / 25.4 * 72  # the 156 mm text block in points
BLOCK_TWIPS = math.floor(BLOCK_PT * 20)
TITLE_PT = 22
TITLE_CHARS = math.floor(BLOCK_PT / TITLE_PT)  # 20
MARK_MAX_PT, MARK_MIN_PT, MARK_MIN_SCALE = 30, 22, 60
BREAK_MARKS = re.compile(r"\s*[|｜]\s*")
# no line may start with a closing mark or end with an opening one
CLOSING = set("，。、；：？！）》」』”’〕】…—·")
OPENING = set("（《「『“‘〔【")
_JIEBA_LOCK = threading.Lock()


def strip_breaks(title: str) -> str:
    """The title without the clerk's break marks (for lists, file names and the archive)."""
    return BREAK_MARKS.sub("", title or "")


def width(text: str) -> float:
    """Width in full-width characters: Latin letters, digits and spaces count half."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def title_lines(title: str, per_line: int = TITLE_CHARS) -> list[str]:
    """The title as the lines it is printed in."""
    title = (title or "").strip()
    parts = [p for p in BREAK_MARKS.split(title) if p] if BREAK_MARKS.search(title) else [title]
    lines: list[str] = []
    for part in parts:
        lines += _fit_part(part, per_line)
    return lines or [""]


def fit_title(title: str) -> str:
    """Jinja filter: the title with a newline (rendered as w:br) at each break."""
    return "\n".join(title_lines(title))


def _fit_part(text: str, per_line: int) -> list[str]:
    if width(text) <= per_line:
        return [text]
    words = _boundaries(text)
    for count in range(math.ceil(width(text) / per_line), len(text) + 1):
        best = _best_split(text, words, count, per_line)
        if best is None:  # no word boundaries fit (a very long word): any allowed character
            best = _best_split(text, set(range(1, len(text))), count, per_line)
        if best is not None:
            return best
    return [text]


def _boundaries(text: str) -> set[int]:
    offsets, position = set(), 0
    for token in segment(text):
        position += len(token)
        offsets.add(position)
    offsets.discard(len(text))
    return offsets


@lru_cache(maxsize=512)
def segment(text: str) -> tuple[str, ...]:
    """The words of a text as jieba finds them (cached: titles and bodies are segmented again and again)."""
    with _JIEBA_LOCK:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        return tuple(jieba.cut(text, HMM=True))


def _allowed(text: str, at: int) -> bool:
    return text[at] not in CLOSING and text[at - 1] not in OPENING


def _best_split(text: str, positions: set[int], count: int, per_line: int) -> list[str] | None:
    candidates = sorted(p for p in positions if 0 < p < len(text) and _allowed(text, p))
    best, best_cost = None, math.inf
    for cuts in itertools.combinations(candidates, count - 1):
        lines = [text[a:b] for a, b in zip((0, *cuts), (*cuts, len(text)), strict=True)]
        widths = [width(line) for line in lines]
        if max(widths) > per_line:
            continue
        cost = _shape_cost(widths)
        if cost < best_cost:
            best, best_cost = lines, cost
    return best


def _shape_cost(widths: list[float]) -> float:
    """Balanced lines; two lines prefer the upper one shorter (正梯形), three a longest middle
    line (菱形); an hourglass (middle line shortest) is the one shape the standard's examples avoid."""
    cost = max(widths) - min(widths)
    if len(widths) == 2 and widths[0] > widths[1]:
        cost += 0.5
    if len(widths) >= 3 and min(widths[1:-1]) < min(widths[0], widths[-1]):
        cost += 4
    return cost


# --- the 发文机关标志 -----------------------------------------------------------------------

def mark_fit(mark: str) -> tuple[int, int]:
    """(size in half points, character scale in %) that keeps the mark on one line."""
    chars = max(width(mark or ""), 1)
    size = min(MARK_MAX_PT, math.floor(BLOCK_PT / chars * 2) / 2)
    if size >= MARK_MIN_PT:
        return round(size * 2), 100
    scale = max(MARK_MIN_SCALE, math.floor(100 * BLOCK_PT / (chars * MARK_MIN_PT)))
    return MARK_MIN_PT * 2, scale


def mark_half_points(mark: str) -> int:
    return mark_fit(mark)[0]


def mark_rise(mark: str) -> int:
    """Twips a shrunk mark's line moves up so its glyphs' top edge stays where a 30 pt mark's is: in an
    exact line the glyphs stand on a fixed baseline, so a smaller size lowers their top edge (measured:
    by the size difference, a point a point)."""
    return (MARK_MAX_PT * 2 - mark_half_points(mark)) * 10


def mark_scale(mark: str) -> int:
    return mark_fit(mark)[1]


def fit_marks(root: etree._Element, variables: tuple[str, ...] = ("organ_mark",)) -> None:
    """Template build step: the run printing ``{{ organ_mark }}`` gets its size (and character
    scale) from the mark's length at render time."""
    for run in root.iter(f"{W}r"):
        text = "".join(t.text or "" for t in run.iter(f"{W}t")).strip()
        variable = next((v for v in variables if text == f"{{{{ {v} }}}}"), None)
        rpr = run.find(f"{W}rPr")
        if variable is None or rpr is None:
            continue
        for tag in ("sz", "szCs"):
            size = rpr.find(f"{W}{tag}")
            if size is not None:
                size.set(f"{W}val", f"{{{{ {variable}|mark_half_points }}}}")
        scale = _el("w:w", val=f"{{{{ {variable}|mark_scale }}}}")
        rpr.find(f"{W}sz").addprevious(scale)  # schema order: … spacing, w, kern, position, sz …



# --- joint marks (联合行文, GB/T 9704-2012 §7.2.1) ------------------------------------------------------
MARK_WORD = "文件"


def _longest(organs: object) -> str:
    names = [str(o) for o in organs or []] if isinstance(organs, (list, tuple)) else [str(organs or "")]
    return max(names, key=width, default="")


def joint_fit(organs: object) -> tuple[int, int]:
    """(half points, scale %) for organ names stacked one under another with "文件" (and a character's
    gap) to their right: the longest name and the word share one line's width."""
    return mark_fit(_longest(organs) + "　" + MARK_WORD)


def joint_half_points(organs: object) -> int:
    return joint_fit(organs)[0]


def joint_scale(organs: object) -> int:
    return joint_fit(organs)[1]


def joint_rise(organs: object) -> int:
    """``mark_rise`` for the stacked marks."""
    return (MARK_MAX_PT * 2 - joint_half_points(organs)) * 10


def mark_word(organ_mark: str) -> str:
    """"文件" when the mark has it (a 文件格式 document), else nothing: the names stand alone."""
    return MARK_WORD if str(organ_mark or "").endswith(MARK_WORD) else ""


def joint_column(organs: object, organ_mark: str, column: int) -> int:
    """Width in twips of the stacked names' column (0) or of the "文件" column (1) at the fitted size."""
    half_points, scale = joint_fit(organs)
    char = half_points * 10 * scale / 100  # a full-width character in twips
    word = math.ceil(3 * char) if mark_word(organ_mark) else 20  # a character's gap, then "文件"
    if column == 1:
        return word
    return min(math.ceil(width(_longest(organs)) * char) + 20, BLOCK_TWIPS - word)


# --- names and 文号 that must not be split across lines ------------------------------------------

# the part of a 文号 a line must not split: 〔2026〕14号, 〔2026〕第0049号
WENHAO_CORE = re.compile(r"〔\d{4}〕第?\d+号")
_EMPTY_RUBY = ('<w:rubyPr><w:rubyAlign w:val="center"/><w:hps w:val="2"/><w:hpsRaise w:val="0"/>'
               '<w:hpsBaseText w:val="{half_points}"/><w:lid w:val="zh-CN"/></w:rubyPr>'
               '<w:rt><w:r><w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr><w:t></w:t></w:r></w:rt>')


def _xml_text(text: str) -> str:
    return xml_safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=8)
def _body_rpr() -> str:
    from webapp.documents.ooxml import RunStyle, run_properties

    xml = etree.tostring(run_properties(RunStyle()), encoding="unicode")
    return re.sub(r' xmlns:w="[^"]+"', "", xml)


def _plain_runs(text: str) -> str:
    parts = text.split("\n")
    runs = []
    for index, part in enumerate(parts):
        if index:
            runs.append(f"<w:r>{_body_rpr()}<w:br/></w:r>")
        if part:
            runs.append(f'<w:r>{_body_rpr()}<w:t xml:space="preserve">{_xml_text(part)}</w:t></w:r>')
    return "".join(runs)


def _unbroken_run(text: str) -> str:
    """One run LibreOffice and Word keep on one line: the text as the base of an empty ruby
    (a CJK line may otherwise break between any two characters, word joiners included)."""
    ruby = _EMPTY_RUBY.format(half_points=32)
    return (f"<w:r>{_body_rpr()}<w:ruby>{ruby}<w:rubyBase><w:r>{_body_rpr()}"
            f'<w:t xml:space="preserve">{_xml_text(text)}</w:t></w:r></w:rubyBase></w:ruby></w:r>')


def nobreak(value: object, separator: str = "、") -> str:
    """Jinja filter for ``{{r … }}`` in a body paragraph: a name (or a list of names joined by
    ``separator``) as runs that never break inside a name."""
    from markupsafe import Markup

    names = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value or "")]
    runs = []
    for index, entry in enumerate(n for n in names if n.strip()):
        if index:
            runs.append(_plain_runs(separator))
        # "单位 姓名" (an attendance entry): only the person's name is kept whole
        unit, space, name = entry.strip().rpartition(" ") if " " in entry.strip() else ("", "", entry.strip())
        runs.append(_plain_runs(unit + space) + _unbroken_run(name))
    return Markup("".join(runs))


def nobreak_numbers(value: object) -> str:
    """Jinja filter for ``{{r … }}``: free text whose 文号 cores (〔2026〕第0049号) never break."""
    from markupsafe import Markup

    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    runs, position = [], 0
    for match in WENHAO_CORE.finditer(text):
        runs.append(_plain_runs(text[position:match.start()]))
        runs.append(_unbroken_run(match.group()))
        position = match.end()
    runs.append(_plain_runs(text[position:]))
    return Markup("".join(runs))


# the template tags printing protected text: {{r unit.responsible_person|nobreak }}, {{r x|nobreak_numbers }}
NOBREAK_TAG = re.compile(r"\{\{r\s+([\w.\[\]'\"]+?)\s*\|\s*(nobreak_numbers|nobreak)\b")


def nobreak_expressions(template_xml: str) -> list[tuple[str, str]]:
    """(expression, filter) of every protected tag in a template's document.xml."""
    return NOBREAK_TAG.findall(template_xml)


def _entries(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value or "")]


def unbroken_terms(expressions: list[tuple[str, str]], context: dict, env) -> list[str]:  # noqa: ANN001
    """The names and 文号 cores the document prints that no line may split: what the template's
    ``nobreak``/``nobreak_numbers`` tags print for ``context`` (an expression inside a loop, which the
    context alone cannot answer, is skipped), and the core of the 发文字号."""
    terms: list[str] = WENHAO_CORE.findall(str(context.get("doc_number") or ""))
    for expression, kind in expressions:
        try:
            value = env.compile_expression(expression, undefined_to_none=False)(**context)
            entries = _entries(value)
        except Exception:  # noqa: BLE001 - undefined (a loop variable) or not printable: nothing to check
            continue
        for entry in entries:
            if kind == "nobreak_numbers":
                terms += WENHAO_CORE.findall(entry)
            else:  # "单位 姓名": the person's name, as nobreak keeps it
                terms.append(entry.strip().rpartition(" ")[2])
    return list(dict.fromkeys(term for term in terms if len(term) >= 2))
