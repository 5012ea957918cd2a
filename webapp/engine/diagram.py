"""Server-side SVG of a BPMN process, drawn from its BPMN DI, with a case's progress highlighted.

No JavaScript and no external assets: the returned `<svg>` is inlined in a page and scales with
width=100%. The SVG is built as an lxml tree, so every name from the BPMN is escaped on output.
"""

import math
import unicodedata
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
SVG = "http://www.w3.org/2000/svg"
SHAPE, EDGE = f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"
FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
FONT_SIZE = 12
LINE = 15  # line height of wrapped text
MARGIN = 20
BAND = 30  # the label band at the left of a pool or lane, as bpmn.io draws it
OUTER_LABEL_WIDTH = 90
TASKS = frozenset({"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
                   "businessRuleTask", "subProcess", "callActivity", "transaction", "adHocSubProcess"})
EVENTS = frozenset({"startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent"})
STATE_LABELS = {"done": "已完成", "current": "进行中", "pending": "未开始"}
POOL_STROKE, MUTED_TEXT = "#9e9e9e", "#424242"
HALO = {"stroke": "#ffffff", "stroke-width": 3, "paint-order": "stroke", "stroke-linejoin": "round"}


class Box(NamedTuple):
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


class Style(NamedTuple):
    fill: str
    stroke: str
    width: float
    text: str


STYLES = {
    "done": Style("#e3f4e1", "#2e7d32", 2, "#1b5e20"),
    "current": Style("#fff3e0", "#e65100", 3.5, "#bf360c"),
    "pending": Style("#ffffff", "#9e9e9e", 1.5, "#424242"),
}
FLOW_STYLES = {"done": Style("none", "#2e7d32", 2.5, "#1b5e20"), "pending": Style("none", "#9e9e9e", 1.5, "#616161")}


@dataclass(frozen=True)
class _Context:
    model: Mapping[str, etree._Element]
    done: AbstractSet[str]
    current: AbstractSet[str]
    taken: AbstractSet[str]
    titles: Mapping[str, str]

    def state(self, element_id: str) -> str:
        # A node can be both done and current (a loop came back to it): what is open now wins.
        if element_id in self.current:
            return "current"
        return "done" if element_id in self.done else "pending"


def render_process_svg(bpmn_xml: bytes, process_id: str, *, done: AbstractSet[str], current: AbstractSet[str],
                       taken_flows: AbstractSet[str] = frozenset(), titles: Mapping[str, str] | None = None) -> str:
    """The process's diagram as an inline-able `<svg>`; `titles` maps lane names (role keys) to labels.
    Kept for the last few hundred states: the cases of a procedure stand at a handful of steps, and drawing
    costs more than the rest of a case page's work.

    Raises ValueError when the XML is malformed, the process is missing, or it has no BPMN DI.
    """
    return _drawn(bpmn_xml, process_id, frozenset(done), frozenset(current), frozenset(taken_flows),
                  tuple(sorted((titles or {}).items())))


@lru_cache(maxsize=256)
def _drawn(bpmn_xml: bytes, process_id: str, done: frozenset[str], current: frozenset[str],
           taken_flows: frozenset[str], titles: tuple[tuple[str, str], ...]) -> str:
    root = _parse(bpmn_xml)
    process = _find_process(root, process_id)
    ids = _process_ids(root, process)
    plane = _find_plane(root, process_id, ids)
    # With several processes only this one's shapes are drawn; a lone process gets the whole plane.
    single = len(root.findall(".//bpmn:process", NS)) == 1
    model = {node.get("id"): node for node in root.iter(f"{{{BPMN}}}*") if node.get("id")}
    items = [di for di in plane.iter(SHAPE, EDGE)
             if di.get("bpmnElement") in model and (single or di.get("bpmnElement") in ids)]
    ctx = _Context(model, done, current, taken_flows, dict(titles))
    svg, layers = _svg_root(_extent(items, model), process.get("name") or process_id)
    for di in items:
        _draw(layers, ctx, model[di.get("bpmnElement")], di)
    return etree.tostring(svg, encoding="unicode")


def _parse(bpmn_xml: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(bpmn_xml, parser)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"BPMN is not well-formed XML: {error}") from error


def _find_process(root: etree._Element, process_id: str) -> etree._Element:
    found = root.xpath("//bpmn:process[@id=$pid]", namespaces=NS, pid=process_id)
    if not found:
        known = ", ".join(root.xpath("//bpmn:process/@id", namespaces=NS)) or "none"
        raise ValueError(f"no process {process_id!r} in the BPMN (processes: {known})")
    return found[0]


def _process_ids(root: etree._Element, process: etree._Element) -> set[str]:
    ids = {node.get("id") for node in process.iter(etree.Element) if node.get("id")}
    return ids | set(root.xpath("//bpmn:participant[@processRef=$pid]/@id", namespaces=NS, pid=process.get("id")))


def _find_plane(root: etree._Element, process_id: str, ids: set[str]) -> etree._Element:
    # Prefer the plane of the process or its collaboration: bpmn.io adds further planes for drill-downs.
    owners = {process_id, *root.xpath("//bpmn:collaboration[bpmn:participant/@processRef=$pid]/@id",
                                      namespaces=NS, pid=process_id)}
    drawn = [plane for plane in root.iterfind(".//bpmndi:BPMNPlane", NS)
             if any(di.get("bpmnElement") in ids for di in plane.iter(SHAPE, EDGE))]
    if not drawn:
        raise ValueError(f"process {process_id!r} has no diagram (BPMN DI): no BPMNShape/BPMNEdge refers to it")
    return next((plane for plane in drawn if plane.get("bpmnElement") in owners), drawn[0])


def _bounds(node: etree._Element | None) -> Box | None:
    return None if node is None else Box(*(float(node.get(key, 0)) for key in ("x", "y", "width", "height")))


def _waypoints(di: etree._Element) -> list[tuple[float, float]]:
    return [(float(p.get("x", 0)), float(p.get("y", 0))) for p in di.iterfind("di:waypoint", NS)]


def _outer_label(element: etree._Element, di: etree._Element, box: Box) -> tuple[Box, list[str]] | None:
    """Where an event's or gateway's name goes: its BPMNLabel, else centred under the shape."""
    name = element.get("name")
    if not name:
        return None
    label = _bounds(di.find("bpmndi:BPMNLabel/dc:Bounds", NS))
    # bpmn.io sizes label bounds for its own 11px font: wrap wider than them, around their centre.
    lines = _wrap(name, max(label.w + 10 if label else 0, OUTER_LABEL_WIDTH), 3)
    if label:
        return label, lines
    return Box(box.cx - OUTER_LABEL_WIDTH / 2, box.y + box.h + 4, OUTER_LABEL_WIDTH, len(lines) * LINE), lines


def _extent(items: list[etree._Element], model: Mapping[str, etree._Element]) -> Box:
    points: list[tuple[float, float]] = []
    for di in items:
        boxes = [_bounds(di.find("dc:Bounds", NS)), _bounds(di.find("bpmndi:BPMNLabel/dc:Bounds", NS))]
        kind = etree.QName(model[di.get("bpmnElement")]).localname
        if boxes[0] and (kind in EVENTS or kind.endswith("Gateway")):  # names drawn outside the shape
            outer = _outer_label(model[di.get("bpmnElement")], di, boxes[0])
            boxes.append(outer[0] if outer else None)
        points += [corner for box in filter(None, boxes) for corner in ((box.x, box.y), (box.x + box.w, box.y + box.h))]
        points += _waypoints(di)
    if not points:
        raise ValueError("the diagram has no shapes to draw")
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return Box(min(xs) - MARGIN, min(ys) - MARGIN, max(xs) - min(xs) + 2 * MARGIN, max(ys) - min(ys) + 2 * MARGIN)


def _fmt(value: object) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _sub(parent: etree._Element, tag: str, attrs: Mapping[str, object] | None = None,
         text: str | None = None) -> etree._Element:
    node = etree.SubElement(parent, f"{{{SVG}}}{tag}", {key: _fmt(v) for key, v in (attrs or {}).items()})
    if text is not None:
        node.text = text
    return node


def _svg_root(view: Box, label: str) -> tuple[etree._Element, dict[str, etree._Element]]:
    svg = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG}, attrib={
        "viewBox": " ".join(_fmt(float(v)) for v in (view.x, view.y, view.w, view.h)),
        "width": "100%", "preserveAspectRatio": "xMidYMin meet", "class": "fg-bpmn", "role": "img",
        "aria-label": label, "font-family": FONT, "font-size": str(FONT_SIZE),
    })
    _sub(svg, "title", text=label)
    defs = _sub(svg, "defs")
    for state, style in FLOW_STYLES.items():
        # Fixed ids: two diagrams on one page define identical markers, so either one resolves.
        marker = _sub(defs, "marker", {"id": f"fg-arrow-{state}", "viewBox": "0 0 10 10", "refX": 9, "refY": 5,
                                       "markerWidth": 10, "markerHeight": 10, "markerUnits": "userSpaceOnUse",
                                       "orient": "auto"})
        _sub(marker, "path", {"d": "M0,0 L10,5 L0,10 z", "fill": style.stroke})
    # Layers keep the painting order independent of the DI order: boundary events sit on their task.
    layers = {name: _sub(svg, "g", {"class": f"layer-{name}"}) for name in ("pools", "flows", "nodes", "boundary")}
    return svg, layers


def _group(parent: etree._Element, element: etree._Element, state: str | None, tooltip: str) -> etree._Element:
    kind = etree.QName(element).localname
    group = _sub(parent, "g", {"data-element-id": element.get("id"),
                               "class": f"bpmn-{kind} {state}" if state else f"bpmn-{kind}"})
    _sub(group, "title", text=f"{tooltip}（{STATE_LABELS[state]}）" if state else tooltip)
    return group


def _draw(layers: dict[str, etree._Element], ctx: _Context, element: etree._Element, di: etree._Element) -> None:
    kind = etree.QName(element).localname
    box = _bounds(di.find("dc:Bounds", NS))
    if di.tag == EDGE:
        _draw_edge(layers["flows"], ctx, element, di)
    elif box and kind in ("participant", "lane"):
        _draw_pool(layers["pools"], ctx, element, di, box)
    elif box and (kind in TASKS or kind in EVENTS or kind.endswith("Gateway")):
        state = ctx.state(element.get("id"))
        group = _group(layers["boundary" if kind == "boundaryEvent" else "nodes"], element, state,
                       element.get("name") or element.get("id"))
        draw = _draw_task if kind in TASKS else _draw_event if kind in EVENTS else _draw_gateway
        draw(group, element, di, box, STYLES[state])
    elif box:  # annotations, data objects: drawn plainly, they carry no progress
        text = element.get("name") or element.findtext("bpmn:text", "", NS) or ""
        group = _group(layers["nodes"], element, None, text or element.get("id"))
        _sub(group, "rect", {"x": box.x, "y": box.y, "width": box.w, "height": box.h, "rx": 4, "fill": "#ffffff",
                             "stroke": POOL_STROKE, "stroke-dasharray": "4 3"})
        _text(group, _wrap(text, box.w - 10, int(box.h // LINE)), box.cx, box.cy, MUTED_TEXT)


def _char_width(char: str) -> float:
    return FONT_SIZE if unicodedata.east_asian_width(char) in "WF" else FONT_SIZE * 0.6


def _wrap(text: str, width: float, max_lines: int) -> list[str]:
    """Greedy wrap by estimated glyph width: Chinese has no spaces, so any character may end a line."""
    lines: list[str] = []
    line = ""
    for char in " ".join(text.split()):
        if line and sum(map(_char_width, line + char)) > width:
            # A Latin word moves whole to the next line when the line has a space to break at.
            latin = " " in line and char != " " and _char_width(char) < FONT_SIZE
            head, _, tail = line.rpartition(" ") if latin else (line, "", "")
            lines.append(head.rstrip())
            line = tail
        if char != " " or line:
            line += char
    if line.strip():
        lines.append(line.strip())
    if len(lines) > max(1, max_lines):
        lines = lines[:max(1, max_lines)]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _text(parent: etree._Element, lines: list[str], x: float, cy: float, fill: str, *,
          anchor: str = "middle", halo: bool = False) -> None:
    """Lines centred vertically on `cy`, one <tspan> each (SVG 1.1 text does not wrap)."""
    top = cy - len(lines) * LINE / 2
    text = _sub(parent, "text", {"text-anchor": anchor, "fill": fill, **(HALO if halo else {})})
    for index, line in enumerate(lines):
        _sub(text, "tspan", {"x": x, "y": top + LINE * index + LINE / 2 + FONT_SIZE * 0.35}, line)


def _draw_pool(parent: etree._Element, ctx: _Context, element: etree._Element, di: etree._Element, box: Box) -> None:
    kind = etree.QName(element).localname
    name = element.get("name") or ""
    label = ctx.titles.get(name, name) if kind == "lane" else name
    group = _group(parent, element, None, label or element.get("id"))
    fill = "#fafafa" if kind == "participant" else "none"
    _sub(group, "rect", {"x": box.x, "y": box.y, "width": box.w, "height": box.h, "fill": fill,
                         "stroke": POOL_STROKE, "stroke-width": 1.2 if kind == "participant" else 1})
    horizontal = di.get("isHorizontal", "true") != "false"
    if kind == "participant":
        line = (box.x + BAND, box.y, box.x + BAND, box.y + box.h) if horizontal else \
            (box.x, box.y + BAND, box.x + box.w, box.y + BAND)
        _sub(group, "line", dict(zip(("x1", "y1", "x2", "y2"), line, strict=True)) | {"stroke": POOL_STROKE})
    weight = {"font-weight": "bold"} if kind == "participant" else {}
    if label and horizontal:  # the label reads bottom-to-top in the left band, as in bpmn.io
        turned = _sub(group, "g", {"transform": f"translate({_fmt(box.x + BAND / 2)},{_fmt(box.cy)}) rotate(-90)",
                                   **weight})
        _text(turned, _wrap(label, box.h - 10, 2), 0, 0, MUTED_TEXT)
    elif label:
        _text(_sub(group, "g", weight), _wrap(label, box.w - 10, 2), box.cx, box.y + BAND / 2, MUTED_TEXT)


def _draw_task(group: etree._Element, element: etree._Element, di: etree._Element, box: Box, style: Style) -> None:
    name = element.get("name") or element.get("id")
    width = style.width + (2 if etree.QName(element).localname == "callActivity" else 0)
    _sub(group, "rect", {"x": box.x, "y": box.y, "width": box.w, "height": box.h, "rx": 10, "ry": 10,
                         "fill": style.fill, "stroke": style.stroke, "stroke-width": width})
    reserved = _loop_marker(group, element, box, style.stroke)
    if di.get("isExpanded") == "true":  # an expanded sub-process: name at the top, children inside
        _text(group, _wrap(name, box.w - 20, 1), box.x + 10, box.y + LINE, style.text, anchor="start")
        return
    lines = _wrap(name, box.w - 10, int((box.h - 8 - reserved) // LINE))
    _text(group, lines, box.cx, box.cy - reserved / 2, style.text)


def _loop_marker(group: etree._Element, element: etree._Element, box: Box, color: str) -> float:
    """Three bars for a multi-instance task (vertical: parallel); returns the height it takes."""
    loop = element.find("bpmn:multiInstanceLoopCharacteristics", NS)
    if loop is None:
        return 0
    bottom = box.y + box.h - 6
    if loop.get("isSequential") == "true":
        bars = " ".join(f"M{_fmt(box.cx - 6)},{_fmt(bottom - d)} h12" for d in (0.0, 4.0, 8.0))
    else:
        bars = " ".join(f"M{_fmt(box.cx + d)},{_fmt(bottom)} v-10" for d in (-4.0, 0.0, 4.0))
    _sub(group, "path", {"d": bars, "stroke": color, "stroke-width": 2})
    return 14


def _draw_event(group: etree._Element, element: etree._Element, di: etree._Element, box: Box, style: Style) -> None:
    kind = etree.QName(element).localname
    radius = min(box.w, box.h) / 2
    attrs: dict[str, object] = {"cx": box.cx, "cy": box.cy, "r": radius, "fill": style.fill, "stroke": style.stroke,
                                "stroke-width": max(style.width, 4) if kind == "endEvent" else style.width}
    if element.get("cancelActivity") == "false" or element.get("isInterrupting") == "false":
        attrs["stroke-dasharray"] = "4 3"  # non-interrupting
    _sub(group, "circle", attrs)
    if kind.startswith("intermediate") or kind == "boundaryEvent":
        _sub(group, "circle", {"cx": box.cx, "cy": box.cy, "r": radius - 3, "fill": "none", "stroke": style.stroke,
                               "stroke-width": 1})
    if element.find("bpmn:timerEventDefinition", NS) is not None:  # a clock face with two hands
        face = radius * 0.58
        _sub(group, "circle", {"cx": box.cx, "cy": box.cy, "r": face, "fill": "#ffffff", "stroke": style.stroke,
                               "stroke-width": 1.5})
        hands = f"M{_fmt(box.cx)},{_fmt(box.cy - face * 0.75)} V{_fmt(box.cy)} H{_fmt(box.cx + face * 0.55)}"
        _sub(group, "path", {"d": hands, "fill": "none", "stroke": style.stroke, "stroke-width": 1.5})
    _draw_outer_label(group, element, di, box, style)


def _draw_gateway(group: etree._Element, element: etree._Element, di: etree._Element, box: Box, style: Style) -> None:
    kind = etree.QName(element).localname
    corners = ((box.cx, box.y), (box.x + box.w, box.cy), (box.cx, box.y + box.h), (box.x, box.cy))
    _sub(group, "polygon", {"points": " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in corners), "fill": style.fill,
                            "stroke": style.stroke, "stroke-width": style.width, "stroke-linejoin": "round"})
    a, p = box.w * 0.16, box.w * 0.22
    marks = {
        "exclusiveGateway": f"M{_fmt(box.cx - a)},{_fmt(box.cy - a)} l{_fmt(2 * a)},{_fmt(2 * a)} "
                            f"m0,{_fmt(-2 * a)} l{_fmt(-2 * a)},{_fmt(2 * a)}",
        "parallelGateway": f"M{_fmt(box.cx)},{_fmt(box.cy - p)} v{_fmt(2 * p)} "
                           f"M{_fmt(box.cx - p)},{_fmt(box.cy)} h{_fmt(2 * p)}",
    }
    if kind in marks:
        _sub(group, "path", {"d": marks[kind], "stroke": style.stroke, "stroke-width": 3, "stroke-linecap": "round"})
    elif kind in ("inclusiveGateway", "eventBasedGateway"):
        _sub(group, "circle", {"cx": box.cx, "cy": box.cy, "r": p, "fill": "none", "stroke": style.stroke,
                               "stroke-width": 2.5 if kind == "inclusiveGateway" else 1})
    _draw_outer_label(group, element, di, box, style)


def _draw_outer_label(group: etree._Element, element: etree._Element, di: etree._Element, box: Box,
                      style: Style) -> None:
    outer = _outer_label(element, di, box)
    if outer:
        _text(group, outer[1], outer[0].cx, outer[0].cy, style.text, halo=True)


def _draw_edge(parent: etree._Element, ctx: _Context, element: etree._Element, di: etree._Element) -> None:
    points = _waypoints(di)
    if len(points) < 2:
        return
    kind = etree.QName(element).localname
    state = "done" if element.get("id") in ctx.taken else "pending"
    style = FLOW_STYLES[state]
    ends = [ctx.model.get(element.get(ref) or "") for ref in ("sourceRef", "targetRef")]
    route = " → ".join((end.get("name") or end.get("id")) if end is not None else "?" for end in ends)
    group = _group(parent, element, state, element.get("name") or route)
    attrs: dict[str, object] = {"points": " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points), "fill": "none",
                                "stroke": style.stroke, "stroke-width": style.width, "stroke-linejoin": "round"}
    if kind != "association":
        attrs["marker-end"] = f"url(#fg-arrow-{state})"
    if kind in ("messageFlow", "association") or kind.startswith("data"):
        attrs["stroke-dasharray"] = "6 4"
    _sub(group, "polyline", attrs)
    if element.get("name"):
        x, y, anchor = _flow_label_position(di, points)
        _text(group, _wrap(element.get("name"), OUTER_LABEL_WIDTH, 2), x, y, style.text, anchor=anchor, halo=True)


def _flow_label_position(di: etree._Element, points: list[tuple[float, float]]) -> tuple[float, float, str]:
    """The BPMNLabel's centre, else beside the point halfway along the line."""
    label = _bounds(di.find("bpmndi:BPMNLabel/dc:Bounds", NS))
    if label:
        return label.cx, label.cy, "middle"
    segments = list(zip(points, points[1:], strict=False))
    remaining = sum(math.dist(a, b) for a, b in segments) / 2
    for (x1, y1), (x2, y2) in segments:
        length = math.dist((x1, y1), (x2, y2))
        if length >= remaining and length > 0:
            x, y = x1 + (x2 - x1) * remaining / length, y1 + (y2 - y1) * remaining / length
            return (x, y - 10, "middle") if abs(x2 - x1) >= abs(y2 - y1) else (x + 6, y, "start")
        remaining -= length
    return points[0][0], points[0][1] - 10, "middle"
