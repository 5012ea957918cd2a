"""Pictures in library templates: a manifest field of type ``qr`` holds an address, and the document prints
its QR code where the template says ``{{r field }}``.

docxtpl's ``InlineImage`` needs the template object to add the image part, which the prepared render path
never builds; so the field renders as an inline drawing naming a fixed relationship id, and the picture
part, its relationship and the PNG content type are added to the rendered package afterwards.
The QR code itself comes from the 一户一码 labels' maker (error correction M), not a second one.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

from lxml import etree
from markupsafe import Markup

from webapp.documents.drawing import EMU_PER_MM
from webapp.documents.unit_labels import qr_png

QR_SIZE_MM = 25  # small enough to sit beside the notice's closing lines, large enough for a phone at arm's length
DOCUMENT_RELS, CONTENT_TYPES = "word/_rels/document.xml.rels", "[Content_Types].xml"
IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
PACKAGE_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"

_INLINE = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" \
xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" \
xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" \
xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:drawing>\
<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{size}" cy="{size}"/>\
<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:docPr id="1" name="{name}"/>\
<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>\
<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>\
<pic:nvPicPr><pic:cNvPr id="0" name="{name}"/><pic:cNvPicPr/></pic:nvPicPr>\
<pic:blipFill><a:blip r:embed="{rel_id}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>\
<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{size}" cy="{size}"/></a:xfrm>\
<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>\
</wp:inline></w:drawing></w:r>"""


class Picture:
    """One picture to print: its PNG, the relationship id its drawing names and the part that holds it."""

    def __init__(self, png: bytes, size_mm: float) -> None:
        key = hashlib.sha256(png).hexdigest()[:16]  # equal pictures share one part
        self.png, self.size_mm, self.name = png, size_mm, f"fg_{key}.png"
        self.rel_id, self.part_name = f"rIdFgPic{key}", f"word/media/{self.name}"

    def __html__(self) -> str:  # what {{r field }} prints: the whole run
        size = round(self.size_mm * EMU_PER_MM)
        return _INLINE.format(size=size, name=self.name, rel_id=self.rel_id)

    def __str__(self) -> str:
        return Markup(self.__html__())


def qr_fields(fields: dict[str, Any], context: dict[str, Any], found: list[Picture]) -> dict[str, Any]:
    """The context with each ``qr`` field's address replaced by its Picture (collected in `found`); objects
    are searched too, lists are not (no template repeats a picture)."""
    out = dict(context)
    for name, spec in fields.items():
        value = context.get(name)
        if spec.get("type") == "qr" and isinstance(value, str) and value:
            out[name] = Picture(qr_png(value), QR_SIZE_MM)
            found.append(out[name])
        elif spec.get("type") == "object" and isinstance(value, dict):
            out[name] = qr_fields(spec.get("fields", {}), value, found)
    return out


def embed(content: bytes, pictures: list[Picture]) -> bytes:
    """The rendered DOCX with each picture's part, relationship and the PNG content type added."""
    with zipfile.ZipFile(io.BytesIO(content)) as source:
        parts = {item.filename: source.read(item.filename) for item in source.infolist()}
        infos = source.infolist()
    rels = etree.fromstring(parts[DOCUMENT_RELS])
    known = {r.get("Id") for r in rels}
    for picture in pictures:
        if picture.rel_id not in known:
            etree.SubElement(rels, f"{{{PACKAGE_NS}}}Relationship", Id=picture.rel_id, Type=IMAGE_REL,
                             Target=picture.part_name.removeprefix("word/"))
            known.add(picture.rel_id)
    parts[DOCUMENT_RELS] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
    types = etree.fromstring(parts[CONTENT_TYPES])
    if not any(t.get("Extension", "").lower() == "png" for t in types):
        types.insert(0, etree.Element(f"{{{TYPES_NS}}}Default", Extension="png", ContentType="image/png"))
    parts[CONTENT_TYPES] = etree.tostring(types, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in infos:
            target.writestr(item, parts[item.filename])
        for picture in {p.part_name: p for p in pictures}.values():
            if picture.part_name not in parts:
                target.writestr(zipfile.ZipInfo(picture.part_name, date_time=(1980, 1, 1, 0, 0, 0)), picture.png)
    return out.getvalue()
