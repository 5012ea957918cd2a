"""A docxtpl template prepared once and re-rendered many times.

``DocxTemplate.render`` reloads the .docx, re-runs its regex patching and recompiles the
Jinja source on every call (standards.md §5: ~52 ms a document).  Here docxtpl's own
``patch_xml`` and the environment's compiler run once per part; each render only runs
the compiled templates, docxtpl's post-processing (``resolve_listing``, ``fix_tables``,
``fix_docpr_ids``) and appends the rendered parts to a zip of the unchanged parts.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, Template
from lxml import etree

from webapp.documents.properties import APP_PART, CORE_PART, RELS_PART, CoreProperties, package_parts

_PROPERTY_NAMES = ("author", "comments", "identifier", "language", "subject", "title")
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_XML_DECLARATION = '<?xml version="1.0" encoding="{}" standalone="yes"?>\n'


class NeedsFullRender(Exception):
    """The template uses a docxtpl feature the prepared path does not reproduce."""


@dataclass(frozen=True)
class _Part:
    zip_name: str
    template: Template
    encoding: str


class PreparedTemplate:
    """Compiled parts of one template plus a zip holding every part that never changes."""

    def __init__(self, path: Path, env: Environment) -> None:
        self.path = Path(path)
        helper = DocxTemplate(str(path))
        helper.init_docx()
        document = helper.docx
        if any("{" in (getattr(document.core_properties, n) or "") for n in _PROPERTY_NAMES):
            raise NeedsFullRender("Jinja tags in the core properties")
        if any(p.content_type == _FOOTNOTES for p in document.part.package.iter_parts()):
            raise NeedsFullRender("footnotes")
        self._body = env.from_string(self._source(helper, helper.get_xml()))
        self._prefix, self._suffix = self._document_shell(document.element)
        self._parts = [self._compile(helper, env, part)
                       for uri in (helper.HEADER_URI, helper.FOOTER_URI)
                       for _, part in helper.get_headers_footers(uri)]
        dynamic = {"word/document.xml", *(p.zip_name for p in self._parts), CORE_PART, APP_PART, RELS_PART}
        self._static_zip, self._package_rels = self._zip_without(helper, dynamic)

    # --- preparation -------------------------------------------------------------------
    @staticmethod
    def _source(helper: DocxTemplate, xml: str) -> str:
        # the same two steps DocxTemplate.render_xml_part does before compiling
        return re.sub(r"<w:p([ >])", r"\n<w:p\1", helper.patch_xml(xml))

    def _compile(self, helper: DocxTemplate, env: Environment, part) -> _Part:
        xml = helper.get_part_xml(part)
        encoding = helper.get_headers_footers_encoding(xml)
        return _Part(str(part.partname).lstrip("/"), env.from_string(self._source(helper, xml)), encoding)

    @staticmethod
    def _document_shell(root: etree._Element) -> tuple[str, str]:
        """document.xml around its body: the root element keeps all namespace declarations."""
        xml = etree.tostring(root, encoding="unicode")
        start, end = xml.index("<w:body"), xml.rindex("</w:body>") + len("</w:body>")
        return _XML_DECLARATION.format("UTF-8") + xml[:start], xml[end:]

    @staticmethod
    def _zip_without(helper: DocxTemplate, dynamic: set[str]) -> tuple[bytes, bytes | None]:
        """The unchanging parts (the template's thumbnail left out) and the package .rels to write each time."""
        saved = io.BytesIO()
        helper.docx.save(saved)
        out = io.BytesIO()
        with zipfile.ZipFile(saved) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            rels = source.read(RELS_PART) if RELS_PART in source.namelist() else None
            for item in source.infolist():
                if item.filename not in dynamic and not item.filename.startswith("docProps/thumbnail"):
                    item.date_time = _FIXED_ZIP_TIME
                    target.writestr(item, source.read(item.filename))
        return out.getvalue(), rels

    # --- rendering ---------------------------------------------------------------------
    def render(self, context: dict[str, Any], properties: CoreProperties,
               adjust: Callable[[bytes], bytes | None] | None = None) -> bytes:
        """The package; ``adjust`` may rewrite document.xml (None: unchanged) before it is zipped."""
        helper = DocxTemplate(str(self.path))  # no I/O: only used for its post-processing methods
        helper.docx_ids_index = 1000
        body = self._finish(helper, self._body.render(context))
        tree = helper.fix_tables(body)
        helper.fix_docpr_ids(tree)
        document = (self._prefix + etree.tostring(tree, encoding="unicode") + self._suffix).encode("utf-8")
        rendered = {"word/document.xml": (adjust and adjust(document)) or document}
        for part in self._parts:
            xml = self._finish(helper, part.template.render(context))
            rendered[part.zip_name] = (_XML_DECLARATION.format(part.encoding.upper()) + xml).encode(part.encoding)
        rendered.update(package_parts(properties, self._package_rels))
        return self._zip_with(rendered)

    @staticmethod
    def _finish(helper: DocxTemplate, xml: str) -> str:
        # the post-render half of DocxTemplate.render_xml_part
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return helper.resolve_listing(xml)

    def _zip_with(self, rendered: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO(self._static_zip)
        buffer.seek(0, io.SEEK_END)
        with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, data in rendered.items():
                # A fixed timestamp makes equal content give equal bytes, so the store keeps one file.
                entry = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, data, compresslevel=1)
        return buffer.getvalue()
