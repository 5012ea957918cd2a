"""The server-side BPMN diagram: a well-formed, escaped SVG with the case's progress as classes."""

import pytest
from lxml import etree

from tests.engine.engine_support import BPMN_DIR
from webapp.engine.diagram import NS, render_process_svg

SVG_NS = {"svg": "http://www.w3.org/2000/svg"}
NOTICE = (BPMN_DIR / "test_notice.bpmn").read_bytes()
FLOW_NODE_TAGS = ("startEvent", "endEvent", "boundaryEvent", "userTask", "scriptTask", "exclusiveGateway",
                  "sequenceFlow")

# Two pools, so only the asked process is drawn; one task name needs escaping, one needs wrapping.
TWO_POOLS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs" targetNamespace="http://firegrid.example/bpmn">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool_a" name="A &amp; B" processRef="proc_a" />
    <bpmn:participant id="pool_b" name="other" processRef="proc_b" />
  </bpmn:collaboration>
  <bpmn:process id="proc_a" isExecutable="true">
    <bpmn:laneSet id="lanes_a"><bpmn:lane id="lane_a" name="clerk">
      <bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>long</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:userTask id="check" name="检查&lt;&amp;&gt;" />
    <bpmn:userTask id="long" name="消防安全隐患整改复查意见书签发" />
    <bpmn:sequenceFlow id="f_a" name="&lt;ok&gt; &amp; go" sourceRef="check" targetRef="long" />
  </bpmn:process>
  <bpmn:process id="proc_b" isExecutable="false">
    <bpmn:task id="other_task" name="elsewhere" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="collab">
    <bpmndi:BPMNShape id="pool_a_di" bpmnElement="pool_a" isHorizontal="true">
      <dc:Bounds x="0" y="0" width="400" height="120" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="lane_a_di" bpmnElement="lane_a" isHorizontal="true">
      <dc:Bounds x="30" y="0" width="370" height="120" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="check_di" bpmnElement="check"><dc:Bounds x="60" y="20" width="100" height="80" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="long_di" bpmnElement="long"><dc:Bounds x="240" y="20" width="100" height="80" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f_a_di" bpmnElement="f_a"><di:waypoint x="160" y="60" /><di:waypoint x="240" y="60" />
    </bpmndi:BPMNEdge>
    <bpmndi:BPMNShape id="pool_b_di" bpmnElement="pool_b" isHorizontal="true">
      <dc:Bounds x="0" y="200" width="400" height="120" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="other_task_di" bpmnElement="other_task">
      <dc:Bounds x="60" y="220" width="100" height="80" /></bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>""".encode()


def render(bpmn: bytes = NOTICE, process_id: str = "test_notice", **kwargs) -> etree._Element:
    options = {"done": set(), "current": set(), **kwargs}
    return etree.fromstring(render_process_svg(bpmn, process_id, **options).encode())


def drawn(svg: etree._Element) -> dict[str, etree._Element]:
    groups = svg.xpath("//svg:*[@data-element-id]", namespaces=SVG_NS)
    ids = [group.get("data-element-id") for group in groups]
    assert len(ids) == len(set(ids)), "each element is drawn once"
    return dict(zip(ids, groups, strict=True))


def text_of(node: etree._Element) -> str:
    return "".join(node.xpath(".//svg:text//text()", namespaces=SVG_NS))


def test_every_flow_node_and_sequence_flow_is_drawn_once():
    process = etree.fromstring(NOTICE).find("bpmn:process", NS)
    expected = {node.get("id") for tag in FLOW_NODE_TAGS for node in process.iterfind(f"bpmn:{tag}", NS)}
    svg = render()
    assert etree.QName(svg).localname == "svg" and svg.get("width") == "100%"
    assert expected <= set(drawn(svg))
    assert {"test_notice_participant", "lane_clerk", "lane_leader"} <= set(drawn(svg))


def test_progress_classes_and_highlight():
    svg = drawn(render(done={"start", "draft"}, current={"review"}, taken_flows={"flow_start_draft"}))
    assert "done" in svg["draft"].get("class").split()
    assert "current" in svg["review"].get("class").split()
    assert "pending" in svg["publish"].get("class").split()
    assert "done" in svg["flow_start_draft"].get("class").split()
    assert "pending" in svg["flow_draft_review"].get("class").split()
    assert svg["flow_start_draft"].find("svg:polyline", SVG_NS).get("marker-end") == "url(#fg-arrow-done)"
    assert float(svg["review"].find("svg:rect", SVG_NS).get("stroke-width")) >= 3


def test_a_node_both_done_and_current_shows_as_current():
    svg = drawn(render(done={"draft"}, current={"draft"}))
    assert "current" in svg["draft"].get("class").split()


def test_names_tooltips_and_lane_titles():
    svg = drawn(render(titles={"clerk": "文书"}))
    assert text_of(svg["draft"]) == "拟稿"
    assert svg["draft"].findtext("svg:title", namespaces=SVG_NS) == "拟稿（未开始）"
    assert text_of(svg["lane_clerk"]) == "文书"
    assert text_of(svg["lane_leader"]) == "leader"
    assert text_of(svg["flow_send_back"]) == "退回"
    assert float(svg["end"].find("svg:circle", SVG_NS).get("stroke-width")) >= 3
    assert len(svg["review_deadline"].findall("svg:circle", SVG_NS)) == 3  # double ring and a clock face


def test_view_box_covers_every_shape():
    x, y, width, height = map(float, render().get("viewBox").split())
    for bounds in etree.fromstring(NOTICE).iterfind(".//bpmndi:BPMNShape/dc:Bounds", NS):
        left, top = float(bounds.get("x")), float(bounds.get("y"))
        assert x <= left and left + float(bounds.get("width")) <= x + width
        assert y <= top and top + float(bounds.get("height")) <= y + height


def test_names_are_escaped():
    source = render(TWO_POOLS, "proc_a", done=set(), current={"check"})
    raw = render_process_svg(TWO_POOLS, "proc_a", done=set(), current={"check"})
    svg = drawn(source)
    assert "检查&lt;&amp;&gt;" in raw and "检查<&>" not in raw
    assert text_of(svg["check"]) == "检查<&>"
    assert svg["check"].findtext("svg:title", namespaces=SVG_NS) == "检查<&>（进行中）"
    assert text_of(svg["f_a"]) == "<ok> & go"
    assert source.get("aria-label") == "proc_a"


def test_long_chinese_names_wrap_into_lines_that_fit():
    lines = drawn(render(TWO_POOLS, "proc_a"))["long"].xpath(".//svg:tspan/text()", namespaces=SVG_NS)
    assert len(lines) > 1
    assert "".join(lines) == "消防安全隐患整改复查意见书签发"
    assert all(len(line) * 12 <= 90 for line in lines)


def test_only_the_asked_process_is_drawn_from_a_collaboration():
    svg = drawn(render(TWO_POOLS, "proc_a"))
    assert set(svg) == {"pool_a", "lane_a", "check", "long", "f_a"}
    assert set(drawn(render(TWO_POOLS, "proc_b"))) == {"pool_b", "other_task"}


def test_missing_process_or_diagram_is_a_value_error():
    with pytest.raises(ValueError, match="no process 'nope'"):
        render(process_id="nope")
    without_di = TWO_POOLS.split(b"<bpmndi:BPMNDiagram")[0] + b"</bpmn:definitions>"
    with pytest.raises(ValueError, match="has no diagram"):
        render(without_di, "proc_a")
    with pytest.raises(ValueError, match="not well-formed"):
        render(b"<bpmn:definitions", "proc_a")
