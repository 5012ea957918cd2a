"""A PDF's pages as PNG images, so a document can be read inside a web page (also on a phone).

pdftoppm (Debian's poppler-utils, installed beside LibreOffice) does the rasterising: it is a
system tool like soffice, so no Python package with its own binary is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# 120 dpi: an A4 page is 992 px wide, sharp on a phone held upright and about 100-150 KB a page.
DPI = 120


class PagesUnavailable(RuntimeError):
    """pdftoppm is missing: page images cannot be made (the text preview still can)."""

    def __init__(self, message: str = "服务器未安装 poppler-utils，暂不能显示文件页面。") -> None:
        super().__init__(message)


class PageRasterizer:
    def __init__(self, pdftoppm: str | None = None, dpi: int = DPI, timeout: float = 60.0) -> None:
        self._pdftoppm = pdftoppm or shutil.which("pdftoppm")
        self.dpi = dpi
        self.timeout = timeout

    def available(self) -> bool:
        return bool(self._pdftoppm) and os.access(self._pdftoppm, os.X_OK)

    def render(self, pdf: bytes, out_dir: Path) -> int:
        """Write page-1.png, page-2.png … into `out_dir` (created); returns the number of pages."""
        if not self.available():
            raise PagesUnavailable()
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="firegrid-pages-") as work:
            source = Path(work) / "document.pdf"
            source.write_bytes(pdf)
            command = [self._pdftoppm, "-r", str(self.dpi), "-png", str(source), str(Path(work) / "page")]
            subprocess.run(command, capture_output=True, timeout=self.timeout, check=True)
            # pdftoppm pads the page number to the width of the page count (page-01.png …): normalise.
            produced = sorted(Path(work).glob("page-*.png"), key=lambda p: int(p.stem.rpartition("-")[2]))
            for number, path in enumerate(produced, start=1):
                shutil.move(path, out_dir / f"page-{number}.png")
        return len(produced)
