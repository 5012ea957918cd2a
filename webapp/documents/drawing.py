"""Anchored DrawingML text boxes.

LibreOffice 7.4 lays floating tables out inline and breaks framed paragraphs that carry
borders, so the 版记 (and any block pinned to the bottom of a page) is a fixed-height
``wps`` text box aligned to the bottom margin, with its rules as paragraph borders.
"""

from __future__ import annotations

from docx.oxml import parse_xml
from lxml import etree

EMU_PER_MM = 36000
_NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
)

_TEMPLATE = """<w:r {ns}><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="251659264"
 behindDoc="0" locked="1" layoutInCell="1" allowOverlap="0">
<wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="margin"><wp:posOffset>{h_pos}</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="{v_from}">{v_pos}</wp:positionV>
<wp:extent cx="{cx}" cy="{cy}"/>
<wp:effectExtent l="0" t="0" r="0" b="0"/>
<wp:wrapTopAndBottom/>
<wp:docPr id="1" name="{name}"/>
<wp:cNvGraphicFramePr/>
<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">
<wps:wsp><wps:cNvSpPr txBox="1"/>
<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>
<wps:txbx><w:txbxContent/></wps:txbx>
<wps:bodyPr rot="0" vert="horz" wrap="square" lIns="0" tIns="0" rIns="0" bIns="0" anchor="{anchor}"
 anchorCtr="0">{autofit}</wps:bodyPr>
</wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing></w:r>"""


def anchored_text_box(
    paragraphs: list[etree._Element],
    *,
    name: str,
    width_mm: float,
    height_mm: float,
    at_bottom: bool = True,
    top_from_page_mm: float | None = None,
    grow: bool = False,
    left_mm: float = 0,
) -> etree._Element:
    """A run holding a text box of fixed size.

    ``at_bottom`` pins it to the bottom margin with its text aligned to the box's bottom
    edge (so a one-line 抄送 and a two-line one both end on the last rule);
    ``top_from_page_mm`` places it at a distance from the top edge of the page instead.
    ``left_mm`` shifts it from the left margin (negative: into the margin, for 170 mm rules).
    ``grow`` lets the box grow with its text (Word's and LibreOffice's "resize shape to fit text"):
    ``height_mm`` is then only the starting size, and nothing is clipped.
    """
    if top_from_page_mm is not None:
        v_from, v_pos = "page", f"<wp:posOffset>{round(top_from_page_mm * EMU_PER_MM)}</wp:posOffset>"
    else:
        v_from, v_pos = "margin", "<wp:align>bottom</wp:align>" if at_bottom else "<wp:align>top</wp:align>"
    xml = _TEMPLATE.format(
        ns=_NAMESPACES, v_from=v_from, v_pos=v_pos, name=name, h_pos=round(left_mm * EMU_PER_MM),
        cx=round(width_mm * EMU_PER_MM), cy=round(height_mm * EMU_PER_MM),
        anchor="b" if at_bottom else "t", autofit="<a:spAutoFit/>" if grow else "<a:noAutofit/>",
    ).replace("\n", "")
    run = parse_xml(xml)
    content = run.find(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}txbxContent")
    for p in paragraphs:
        content.append(p)
    return run
