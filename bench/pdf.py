"""PDF conversion: one long-lived LibreOffice listener and a pool of two against the one-shot
``soffice --convert-to`` (one call per document, as a click did, and one call for the whole batch),
measured in the same run.

    python bench/pdf.py [--count 20]

Cold = every listener's start included, spread over the batch; started early = the first batch after
`firegrid serve` started one listener when it started (a pool's second one starts during the batch); warm =
the batch on listeners already running. The goal: <= 250 ms a document amortised.
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
from webapp.documents.office_listener import OfficeListener, OfficePool  # noqa: E402
from webapp.documents.pdf import FONTS_CONF, PdfConverter  # noqa: E402
from webapp.documents.render import DocumentRenderer  # noqa: E402


def timed(action) -> float:  # noqa: ANN001
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def office_rss_mb(pool: OfficePool) -> str:
    """Resident memory of each running LibreOffice (soffice.bin) of the pool."""
    sizes = []
    for listener in pool.listeners:
        if listener.office_pid is not None:
            status = Path(f"/proc/{listener.office_pid}/status").read_text()
            sizes.append(int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]))
    return " + ".join(f"{kb / 1024:.0f}" for kb in sizes) + " MB"


def pool_figures(soffice: str, profile: Path, documents: list[bytes], size: int) -> tuple[float, ...]:
    """Seconds: one listener's start; the batch with every listener to start (cold), with one started before
    (as `firegrid serve` does), with all running (warm). And the LibreOffice memory after them."""
    pool = OfficePool.of(soffice, FONTS_CONF, size=size)
    converter = PdfConverter(profile, office=pool)
    try:
        start = timed(pool.start)
        pool.close()
        cold = timed(lambda: converter.convert_many(documents))
        pool.close()
        pool.start()
        early = timed(lambda: converter.convert_many(documents))
        warm = timed(lambda: converter.convert_many(documents))
        return start, cold, early, warm, office_rss_mb(pool)
    finally:
        pool.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    renderer = DocumentRenderer(TemplateLibrary.load(REPO / "doc_templates"))
    sample = renderer.library.spec("notice").sample
    documents = [renderer.render("notice", {**sample, "title": f"关于开展消防检查的通知{i}"})
                 for i in range(args.count)]
    n = args.count
    with tempfile.TemporaryDirectory() as profile:
        one_shot = PdfConverter(Path(profile), office=False)
        if not one_shot.available() or not OfficeListener.supported():
            print("skipped: LibreOffice or python3-uno is not installed")
            return 0
        one_shot.convert(documents[0])  # the one-shot profile is made outside the timing
        single = pool_figures(one_shot._soffice, Path(profile), documents, 1)
        pair = pool_figures(one_shot._soffice, Path(profile), documents, 2)
        batch = timed(lambda: one_shot.convert_many(documents))
        singles = timed(lambda: [one_shot.convert(d) for d in documents[:5]]) / min(5, n)
    for label, (start, cold, early, warm, memory) in (("one listener", single), ("pool of two ", pair)):
        print(f"{label}: start {start:4.2f} s; {n} docs, ms/doc: cold (every start included) {cold / n * 1000:6.1f}, "
              f"one listener started early {early / n * 1000:6.1f}, warm {warm / n * 1000:6.1f} (goal <= 250); "
              f"LibreOffice {memory}")
    print(f"one-shot soffice, one call for {n} docs: {batch / n * 1000:6.1f} ms/doc; "
          f"one call per doc: {singles * 1000:6.1f} ms/doc")
    print(f"ratios pool of two / one listener: cold {pair[1] / single[1]:.2f}, "
          f"started early {pair[2] / single[2]:.2f}, warm {pair[3] / single[3]:.2f}; "
          f"pool of two cold / one-shot batch {pair[1] / batch:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
