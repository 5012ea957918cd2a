"""The copy of a DOCX handed to LibreOffice leaves out the styles nothing uses, and prints the same."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree
from PIL import Image, ImageChops

from webapp.documents.pages import PageRasterizer
from webapp.documents.unused_styles import STYLES, without_unused_styles

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _style_ids(docx: bytes) -> dict[str, etree._Element]:
    sheet = etree.fromstring(_parts(docx)[STYLES])
    return {style.get(f"{W}styleId"): style for style in sheet.iter(f"{W}style")}


def test_only_used_and_default_styles_and_their_chains_stay(renderer):
    original = renderer.render_sample("notice")
    lean = without_unused_styles(original)
    before, after = _style_ids(original), _style_ids(lean)
    xml = b"".join(data for name, data in _parts(original).items() if name.endswith(".xml") and name != STYLES)
    used = {sid for sid in before if f'Style w:val="{sid}"'.encode() in xml}  # pStyle, rStyle, tblStyle
    defaults = {sid for sid, style in before.items() if style.get(f"{W}default") == "1"}
    assert used and defaults <= set(after) and used <= set(after)
    for style in after.values():  # what a kept style is based on or linked to is kept too
        for chain in ("basedOn", "link", "next"):
            target = style.find(f"{W}{chain}")
            assert target is None or target.get(f"{W}val") in after
    assert len(after) < len(before) / 4  # python-docx's default sheet: 164 styles, a notice uses ~10
    unchanged = {name: data for name, data in _parts(original).items() if name != STYLES}
    assert {name: data for name, data in _parts(lean).items() if name != STYLES} == unchanged


def test_a_style_referred_to_only_from_a_footer_or_numbering_is_kept(renderer):
    original = renderer.render_sample("notice")
    parts = _parts(original)
    unused = next(sid for sid in _style_ids(original) if sid not in _style_ids(without_unused_styles(original)))
    footer = next(name for name in parts if name.startswith("word/footer"))
    parts[footer] = parts[footer].replace(b"<w:pPr>", f'<w:pPr><w:pStyle w:val="{unused}"/>'.encode(), 1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert b"<w:pPr>" in _parts(original)[footer]
    assert unused in _style_ids(without_unused_styles(out.getvalue()))


def test_what_is_not_a_docx_goes_to_libreoffice_as_it_is():
    assert without_unused_styles(b"not a zip") == b"not a zip"


@pytest.mark.slow
@pytest.mark.parametrize("key", ["notice", "rectification_notice", "inspection_record", "ledger_binder_contents"])
def test_the_lean_copy_prints_the_same_pages(key, converter, renderer, tmp_path):
    """Pixel for pixel at 60 dpi (forms with tables, lists, headers and footers among them)."""
    if converter.office is None:
        pytest.skip("python3-uno is not installed")
    pages = PageRasterizer(dpi=60)
    if not pages.available():
        pytest.skip("pdftoppm is not installed")
    original = renderer.render_sample(key)
    counts = [pages.render(converter.office.convert(docx), tmp_path / name)
              for name, docx in (("original", original), ("lean", without_unused_styles(original)))]
    assert counts[0] == counts[1] >= 1
    for number in range(1, counts[0] + 1):
        before, after = (Image.open(tmp_path / name / f"page-{number}.png").convert("L")
                         for name in ("original", "lean"))
        assert ImageChops.difference(before, after).getbbox() is None
