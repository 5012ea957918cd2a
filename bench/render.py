"""Render N responsibility letters through DocumentRenderer and through bare docxtpl,
and convert a batch of 50 to PDF.

    python bench/render.py [--count 1000] [--pdf-batch 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from webapp.documents.manifest import TemplateLibrary  # noqa: E402
from webapp.documents.pdf import PdfConverter  # noqa: E402
from webapp.documents.render import DocumentRenderer  # noqa: E402

KEY = "responsibility_letter"


def per_document(render, context: dict, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        render(KEY, context)
    return (time.perf_counter() - start) / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--pdf-batch", type=int, default=50)
    args = parser.parse_args()
    library = TemplateLibrary.load(REPO / "doc_templates")
    renderer = DocumentRenderer(library)
    context = library.spec(KEY).sample
    renderer.render(KEY, context)  # prepare once, outside the timing
    prepared = per_document(renderer.render, context, args.count)
    bare = per_document(renderer.render_unprepared, context, args.count)
    print(f"DocumentRenderer : {prepared * 1000:7.2f} ms/doc  ({args.count} docs)")
    print(f"bare docxtpl     : {bare * 1000:7.2f} ms/doc  ({args.count} docs)")
    print(f"ratio            : {prepared / bare:7.3f} (target <= 0.5)")
    with tempfile.TemporaryDirectory() as profile:
        converter = PdfConverter(Path(profile))
        if not converter.available():
            print("PDF              : skipped (soffice not installed)")
            return 0
        documents = [renderer.render(KEY, context) for _ in range(args.pdf_batch)]
        converter.convert(documents[0])  # first start creates the profile
        start = time.perf_counter()
        converter.convert_many(documents)
        elapsed = time.perf_counter() - start
        print(f"PDF batch of {args.pdf_batch:3d}: {elapsed / args.pdf_batch * 1000:7.1f} ms/doc")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
