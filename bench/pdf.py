"""PDF conversion: one long-lived LibreOffice listener and a pool of two against the one-shot
``soffice --convert-to`` (one call per document, as a click did, and one call for the whole batch),
measured in the same run.

    python bench/pdf.py [--count 20]

Cold = every listener's start included, spread over the batch; after serve's start = the first batch after
`firegrid serve` started the listeners when it started (fresh LibreOffice processes); warm = the batch on
listeners that converted before. The goal: <= 250 ms a document amortised.
"""

from __future__ import annotations

import argparse
import statistics
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


def office_rss_mb(pool: OfficePool) -> float:
    """Resident memory of the pool's running LibreOffice processes (soffice.bin), together."""
    sizes = []
    for listener in pool.listeners:
        if listener.office_pid is not None:
            status = Path(f"/proc/{listener.office_pid}/status").read_text()
            sizes.append(int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]))
    return sum(sizes) / 1024


def pool_figures(soffice: str, profile: Path, documents: list[bytes], size: int) -> dict[str, float]:
    """Seconds: one listener's start; the batch with every listener to start (cold), just after starting them
    (as `firegrid serve` does), on listeners that converted before (warm), and warm again on the DOCX as stored
    (no lean copy). And the LibreOffice memory (MB) after them."""
    pool = OfficePool.of(soffice, FONTS_CONF, size=size)
    converter = PdfConverter(profile, office=pool)
    try:
        figures = {"start": timed(pool.start) / size}
        pool.close()
        figures["cold"] = timed(lambda: converter.convert_many(documents))
        pool.close()
        pool.start()
        figures["early"] = timed(lambda: converter.convert_many(documents))
        figures["warm"] = timed(lambda: converter.convert_many(documents))
        figures["as stored"] = timed(lambda: pool.convert_many(documents))
        figures["memory"] = office_rss_mb(pool)
        return figures
    finally:
        pool.close()


def one_shot_figures(one_shot: PdfConverter, documents: list[bytes]) -> dict[str, float]:
    return {"batch": timed(lambda: one_shot.convert_many(documents)),
            "per doc": timed(lambda: [one_shot.convert(d) for d in documents[:5]]) / min(5, len(documents))}


def median(rounds: list[dict[str, float]], key: str) -> float:
    return statistics.median(figures[key] for figures in rounds)


def report(single: list[dict], pair: list[dict], one_shot: list[dict], n: int) -> None:
    def ms(rounds: list[dict], key: str) -> str:
        return f"{median(rounds, key) / n * 1000:6.1f}"

    for label, rounds in (("one listener", single), ("pool of two ", pair)):
        print(f"{label}: start {median(rounds, 'start'):4.2f} s; {n} docs, ms/doc: cold (every start included) "
              f"{ms(rounds, 'cold')}, after serve's start {ms(rounds, 'early')}, warm {ms(rounds, 'warm')} "
              f"(goal <= 250), warm on the DOCX as stored {ms(rounds, 'as stored')}; "
              f"LibreOffice {median(rounds, 'memory'):.0f} MB")
    print(f"one-shot soffice, one call for {n} docs: {ms(one_shot, 'batch')} ms/doc; "
          f"one call per doc: {median(one_shot, 'per doc') * 1000:6.1f} ms/doc")
    ratio = {key: median(pair, key) / median(single, key) for key in ("cold", "early", "warm")}
    print(f"ratios pool of two / one listener: cold {ratio['cold']:.2f}, after serve's start {ratio['early']:.2f}, "
          f"warm {ratio['warm']:.2f}; lean copy / as stored, one listener warm "
          f"{median(single, 'warm') / median(single, 'as stored'):.2f}; "
          f"pool of two cold / one-shot batch {median(pair, 'cold') / median(one_shot, 'batch'):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="each figure is the median of the rounds")
    args = parser.parse_args()
    renderer = DocumentRenderer(TemplateLibrary.load(REPO / "doc_templates"))
    sample = renderer.library.spec("notice").sample
    documents = [renderer.render("notice", {**sample, "title": f"关于开展消防检查的通知{i}"})
                 for i in range(args.count)]
    with tempfile.TemporaryDirectory() as profile:
        one_shot = PdfConverter(Path(profile), office=False)
        if not one_shot.available() or not OfficeListener.supported():
            print("skipped: LibreOffice or python3-uno is not installed")
            return 0
        one_shot.convert(documents[0])  # the one-shot profile is made outside the timing
        single, pair, batch = [], [], []
        for _ in range(args.rounds):  # interleaved, so that a change in the machine's load hits every figure
            single.append(pool_figures(one_shot._soffice, Path(profile), documents, 1))
            pair.append(pool_figures(one_shot._soffice, Path(profile), documents, 2))
            batch.append(one_shot_figures(one_shot, documents))
    report(single, pair, batch, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
