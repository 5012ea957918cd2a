"""DocumentRenderer: template key + context → DOCX bytes."""

from __future__ import annotations

import io
import threading
import zipfile
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment

from webapp.documents.adjust import finish, finish_document_xml
from webapp.documents.filters import build_environment
from webapp.documents.fitting import nobreak_expressions, unbroken_terms
from webapp.documents.manifest import TemplateLibrary, prepare_context
from webapp.documents.pictures import Picture, embed, qr_fields
from webapp.documents.prepared import NeedsFullRender, PreparedTemplate
from webapp.documents.properties import CoreProperties, default_properties, stamp


class DocumentRenderer:
    """Renders library templates with one shared, escaping, strict Jinja environment.

    Each template is prepared once (thread-safe, cached); templates using docxtpl features
    the prepared path does not cover fall back to a plain ``DocxTemplate`` per call.
    """

    def __init__(self, library: TemplateLibrary, env: Environment | None = None) -> None:
        self.library = library
        self.env = env or build_environment()
        self._prepared: dict[str, PreparedTemplate | None] = {}
        self._nobreak: dict[str, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def render(self, key: str, context: dict[str, Any], properties: CoreProperties | None = None) -> bytes:
        """The DOCX with its core properties: `properties` for an issued document, else from the data.
        Raises ``ContextError`` (Chinese, naming the field) for data the manifest refuses."""
        spec = self.library.spec(key)
        pictures: list[Picture] = []
        context = qr_fields(spec.fields, prepare_context(spec, context), pictures)
        properties = properties or default_properties(spec.title, context, spec.kind)
        prepared = self._prepare(key)
        if prepared is None:
            content = stamp(self._docxtpl(key, context), properties)
        else:
            content = prepared.render(context, properties, adjust=finish_document_xml)
        return embed(content, pictures) if pictures else content

    def unbroken(self, key: str, context: dict[str, Any]) -> list[str]:
        """The names and 文号 the document for ``context`` prints that no line may split (for the verifier)."""
        if key not in self._nobreak:
            with zipfile.ZipFile(self.library.path(key)) as template:
                self._nobreak[key] = nobreak_expressions(template.read("word/document.xml").decode("utf-8"))
        return unbroken_terms(self._nobreak[key], prepare_context(self.library.spec(key), context), self.env)

    def render_sample(self, key: str) -> bytes:
        return self.render(key, self.library.spec(key).sample)

    def render_unprepared(self, key: str, context: dict[str, Any]) -> bytes:
        """Plain docxtpl (load, patch, compile, render, save) with the same environment and pictures."""
        spec = self.library.spec(key)
        pictures: list[Picture] = []
        content = self._docxtpl(key, qr_fields(spec.fields, prepare_context(spec, context), pictures))
        return embed(content, pictures) if pictures else content

    def _docxtpl(self, key: str, context: dict[str, Any]) -> bytes:
        context = prepare_context(self.library.spec(key), context)
        template = DocxTemplate(str(self.library.path(key)))
        template.render(context, jinja_env=self.env, autoescape=True)
        out = io.BytesIO()
        template.save(out)
        return finish(out.getvalue())

    def _prepare(self, key: str) -> PreparedTemplate | None:
        if key in self._prepared:
            return self._prepared[key]
        with self._lock:
            if key not in self._prepared:
                try:
                    self._prepared[key] = PreparedTemplate(self.library.path(key), self.env)
                except NeedsFullRender:
                    self._prepared[key] = None
            return self._prepared[key]
