"""Render N responsibility letters through DocumentRenderer and through bare docxtpl,
convert a batch of 50 to PDF, time the campaign batch service (letters_batch) per letter, and time
the issued-document path (render + PDF + layout verifier + adjustment) per document kind against
bare docxtpl measured in the same run.

    python bench/render.py [--count 1000] [--pdf-batch 50] [--campaign 200] [--issued 3]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from docxtpl import DocxTemplate  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from webapp.documents import layout_loop  # noqa: E402
from webapp.documents.manifest import TemplateLibrary  # noqa: E402
from webapp.documents.pdf import PdfConverter  # noqa: E402
from webapp.documents.render import DocumentRenderer  # noqa: E402
from webapp.documents.verify_layout import verify  # noqa: E402

KEY = "responsibility_letter"
ISSUED_KEYS = ("notice", "notice_upward", "bulletin", "minutes", "rectification_notice", "reinspection_opinion",
               "referral_letter", "inspection_record")


def bare_docxtpl(renderer: DocumentRenderer):
    """docxtpl alone (load, patch, compile, render, save) with the same environment: the baseline."""
    def render(key: str, context: dict) -> bytes:
        template = DocxTemplate(str(renderer.library.path(key)))
        template.render(context, jinja_env=renderer.env, autoescape=True)
        out = io.BytesIO()
        template.save(out)
        return out.getvalue()
    return render


def per_document(render, context: dict, count: int, key: str = KEY) -> float:
    start = time.perf_counter()
    for _ in range(count):
        render(key, context)
    return (time.perf_counter() - start) / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--pdf-batch", type=int, default=50)
    parser.add_argument("--campaign", type=int, default=200, help="letters in the campaign batch (0: skip)")
    parser.add_argument("--issued", type=int, default=3, help="issued documents per kind (0: skip)")
    args = parser.parse_args()
    library = TemplateLibrary.load(REPO / "doc_templates")
    renderer = DocumentRenderer(library)
    context = library.spec(KEY).sample
    renderer.render(KEY, context)  # prepare once, outside the timing
    prepared = per_document(renderer.render, context, args.count)
    bare = per_document(bare_docxtpl(renderer), context, args.count)
    print(f"DocumentRenderer : {prepared * 1000:7.2f} ms/doc  ({args.count} docs)")
    print(f"bare docxtpl     : {bare * 1000:7.2f} ms/doc  ({args.count} docs)")
    print(f"ratio            : {prepared / bare:7.3f} (target <= 0.5)")
    if args.campaign:
        bench_campaign(args.campaign)
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
        if args.issued:
            bench_issued(renderer, converter, args.issued)
    return 0


def bench_issued(renderer: DocumentRenderer, converter: PdfConverter, count: int) -> None:
    """Per document of each kind: what issuing costs (render with the adjuster's keep-together, one
    LibreOffice call, the layout verifier, a second call when the 署名 needed a tighter pitch)."""
    bare_render = bare_docxtpl(renderer)
    print(f"issued path ({count} per kind: render + PDF + verify [+ adjust]) vs bare docxtpl, same run:")
    for key in ISSUED_KEYS:
        spec = renderer.library.spec(key)
        start = time.perf_counter()
        unbroken = renderer.unbroken(key, spec.sample)
        outcomes = [layout_loop.produce(renderer.render(key, spec.sample), converter, layout=spec.format,
                                        unbroken=unbroken) for _ in range(count)]
        issued = (time.perf_counter() - start) / count
        bare = per_document(bare_render, spec.sample, count, key=key)
        report, last = outcomes[-1].report, outcomes[-1]
        start = time.perf_counter()
        if last.pdf is not None:
            verify(last.docx, last.pdf, layout=spec.format)
        verifying = time.perf_counter() - start
        print(f"  {key:22s}: {issued * 1000:8.1f} ms/doc  bare {bare * 1000:6.1f} ms  ratio {issued / bare:7.1f}"
              f"  (verify {verifying * 1000:5.0f} ms, conversions {report.conversions})  版式检查：{report.label}")


def bench_campaign(count: int) -> None:
    """Per letter through the campaign batch job (render + store + document row + letter row, committed
    per chunk) against bare docxtpl with the same template and the same per-letter contexts."""
    from datetime import datetime

    from webapp import create_app
    from webapp.clock import TZ
    from webapp.demo import organisation as demo
    from webapp.extensions import db
    from webapp.models import Unit
    from webapp.procedures.responsibility_letters import batch as letters_batch
    from webapp.procedures.responsibility_letters import campaigns as letters_campaigns
    from webapp.procedures.responsibility_letters.campaigns import TEMPLATE_KEY, letter_context
    from webapp.services import jobs

    now = datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"DATA_DIR": Path(data_dir), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data_dir}/bench.db",
                          "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade()  # the product's schema, as `firegrid init` makes it
            demo.load_demo(db.session, now=now)
            areas = [u.grid for u in db.session.query(Unit).all()]
            db.session.add_all([Unit(grid=areas[i % len(areas)], name=f"基准单位{i:04d}", category="small_shop",
                                     responsible_person="张三", created_at=now) for i in range(count - 60)])
            db.session.commit()
            runtime = app.extensions["firegrid.runtime"]
            campaign = _bench_campaign(db.session, runtime, now)
            letters_campaigns.plan_letters(db.session, campaign, now)
            letters_batch.start_generation(db.session, campaign, now)
            db.session.commit()
            runtime.documents.renderer.render(TEMPLATE_KEY, runtime.documents.library.spec(TEMPLATE_KEY).sample)
            start = time.perf_counter()
            jobs.run_due_jobs(db.session, runtime, worker="bench", clock=lambda: now)
            batch = (time.perf_counter() - start) / count
            contexts = [letter_context(campaign, letter) for letter in letters_campaigns_letters(db.session, campaign)]
            start = time.perf_counter()
            bare_render = bare_docxtpl(runtime.documents.renderer)
            for context in contexts:
                bare_render(TEMPLATE_KEY, context)
            bare = (time.perf_counter() - start) / len(contexts)
    print(f"campaign batch   : {batch * 1000:7.2f} ms/letter ({count} letters: render, store, rows, chunk commits,"
          " combined DOCX)")
    print(f"bare docxtpl     : {bare * 1000:7.2f} ms/letter (same template and contexts)")
    print(f"ratio            : {batch / bare:7.3f}")


def _bench_campaign(session, runtime, now):  # noqa: ANN001, ANN202
    from webapp.models import GridNode, ProcessInstance
    from webapp.procedures.responsibility_letters.campaigns import default_text
    from webapp.procedures.responsibility_letters.models import LetterCampaign

    town = session.query(GridNode).filter_by(level="town").one()
    instance = ProcessInstance(procedure="responsibility_letters", title="bench", spec_hash="", serializer_version="",
                               state_json="{}", grid=town, started_at=now)
    campaign = LetterCampaign(instance=instance, grid=town, year=2026, party_a_name="江岸区青石镇人民政府",
                              counterparty_set="units", categories=[], print_pdf=False, created_at=now,
                              text=default_text(runtime.documents.library, 2026))
    session.add(campaign)
    session.flush()
    return campaign


def letters_campaigns_letters(session, campaign):  # noqa: ANN001, ANN201
    from webapp.procedures.responsibility_letters.models import ResponsibilityLetter

    return session.query(ResponsibilityLetter).filter_by(campaign_id=campaign.id).all()


if __name__ == "__main__":
    raise SystemExit(main())
