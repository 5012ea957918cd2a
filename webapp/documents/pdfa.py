"""A PDF/A proxy check: what must hold before the archive calls a PDF "PDF/A".

Not a full validator (veraPDF is one): it checks the properties a reader or a later migration relies on
and that a plain PDF lacks — the XMP pdfaid identification, an output intent with its ICC profile, every
font embedded, no encryption and no JavaScript. A PDF that fails is archived and described as plain PDF.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


@dataclass
class PdfaCheck:
    level: str = ""  # e.g. "2B" from the XMP pdfaid part and conformance
    problems: list[str] = field(default_factory=list)  # in Chinese, each a reason the claim fails

    @property
    def passed(self) -> bool:
        return bool(self.level) and not self.problems

    @property
    def label(self) -> str:
        """The format name to record: "PDF/A-2b" when the check passed, else plain "PDF"."""
        return f"PDF/A-{self.level[:-1]}{self.level[-1].lower()}" if self.passed else "PDF"


def check_pdfa(path: Path) -> PdfaCheck:
    """Open the PDF with pikepdf and collect every reason it is not PDF/A."""
    result = PdfaCheck()
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError:
        return PdfaCheck(problems=["PDF 已加密"])
    except (pikepdf.PdfError, OSError, ValueError) as error:
        return PdfaCheck(problems=[f"无法打开（{error}）"])
    with pdf:
        if pdf.is_encrypted:
            result.problems.append("PDF 已加密")
        result.level = _xmp_level(pdf)
        if not result.level:
            result.problems.append("XMP 元数据中没有 PDF/A 标识（pdfaid:part / pdfaid:conformance）")
        if not _has_output_intent(pdf):
            result.problems.append("没有 PDF/A 输出意图（OutputIntent 及 ICC 特性文件）")
        missing = sorted(_unembedded_fonts(pdf))
        if missing:
            result.problems.append(f"字体未嵌入：{'、'.join(missing[:5])}")
        if _has_javascript(pdf):
            result.problems.append("含 JavaScript")
    return result


def _xmp_level(pdf: pikepdf.Pdf) -> str:
    try:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
    except Exception:  # noqa: BLE001 - unreadable XMP is the same as none: the claim fails
        return ""
    if not part or not conformance or not str(part).isdigit():
        return ""
    return f"{part}{str(conformance).upper()}"


def _has_output_intent(pdf: pikepdf.Pdf) -> bool:
    intents = pdf.Root.get("/OutputIntents")
    if not isinstance(intents, pikepdf.Array):
        return False
    return any(isinstance(i, pikepdf.Dictionary) and i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i
               for i in intents)


def _unembedded_fonts(pdf: pikepdf.Pdf) -> set[str]:
    """Base names of fonts without a font program, in page resources and the forms they use."""
    missing: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    while stack:
        resources = stack.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        fonts = resources.get("/Font")
        for font in fonts.values() if isinstance(fonts, pikepdf.Dictionary) else []:
            if not _font_embedded(font):
                missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
            if font.get("/Subtype") == "/Type3":
                stack.append(font.get("/Resources"))
        xobjects = resources.get("/XObject")
        for xobject in xobjects.values() if isinstance(xobjects, pikepdf.Dictionary) else []:
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
                stack.append(xobject.get("/Resources"))
    return missing


def _font_embedded(font: pikepdf.Object) -> bool:
    if not isinstance(font, pikepdf.Dictionary):
        return False
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return True  # its glyphs are drawn by the PDF itself
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        return isinstance(descendants, pikepdf.Array) and all(_font_embedded(d) for d in descendants)
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, pikepdf.Dictionary) and any(k in descriptor for k in _FONT_FILES)


def _has_javascript(pdf: pikepdf.Pdf) -> bool:
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        return True
    actions = [root.get("/OpenAction"), *_values(root.get("/AA"))]
    for page in pdf.pages:
        actions += _values(page.obj.get("/AA"))
        for annotation in page.obj.get("/Annots") or []:
            if isinstance(annotation, pikepdf.Dictionary):
                actions += [annotation.get("/A"), *_values(annotation.get("/AA"))]
    return any(isinstance(a, pikepdf.Dictionary) and a.get("/S") == "/JavaScript" for a in actions)


def _values(dictionary: pikepdf.Object | None) -> list:
    return list(dictionary.values()) if isinstance(dictionary, pikepdf.Dictionary) else []
