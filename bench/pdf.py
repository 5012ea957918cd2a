"""PDF conversion: the long-lived LibreOffice listener against the one-shot ``soffice --convert-to``
(one call per document, as a click did, and one call for the whole batch), measured in the same run.

    python bench/pdf.py [--count 20]

Amortised = the listener's first start included, spread over the batch (the goal: <= 250 ms a document).
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
from webapp.documents.office_listener import OfficeListener  # noqa: E402
from webapp.documents.pdf import FONTS_CONF, PdfConverter  # noqa: E402
from webapp.documents.render import DocumentRenderer  # noqa: E402


def timed(action) -> float:  # noqa: ANN001
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    renderer = DocumentRenderer(TemplateLibrary.load(REPO / "doc_templates"))
    sample = renderer.library.spec("notice").sample
    documents = [renderer.render("notice", {**sample, "title": f"关于开展消防检查的通知{i}"})
                 for i in range(args.count)]
    with tempfile.TemporaryDirectory() as profile:
        one_shot = PdfConverter(Path(profile), listener=False)
        if not one_shot.available() or not OfficeListener.supported():
            print("skipped: LibreOffice, unoserver or python3-uno is not installed")
            return 0
        listener = OfficeListener(one_shot._soffice, FONTS_CONF)
        with_listener = PdfConverter(Path(profile), listener=listener)
        one_shot.convert(documents[0])  # the one-shot profile is made outside the timing
        start_and_batch = timed(lambda: with_listener.convert_many(documents))
        steady = timed(lambda: with_listener.convert_many(documents))
        listener.close()
        batch = timed(lambda: one_shot.convert_many(documents))
        singles = timed(lambda: [one_shot.convert(d) for d in documents[:5]]) / min(5, args.count)
    n = args.count
    print(f"listener, amortised (first start + {n} docs): {start_and_batch / n * 1000:7.1f} ms/doc (goal <= 250)")
    print(f"listener, running                         : {steady / n * 1000:7.1f} ms/doc")
    print(f"one-shot soffice, one call for {n:3d} docs     : {batch / n * 1000:7.1f} ms/doc")
    print(f"one-shot soffice, one call per doc         : {singles * 1000:7.1f} ms/doc")
    print(f"ratio listener amortised / one-shot batch  : {start_and_batch / batch:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
