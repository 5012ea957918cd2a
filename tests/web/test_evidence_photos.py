"""Issue 19, the speed of a patrol with a photo: the submit checks a photo's structure only; the background job
(cases.photos) decodes it in full and makes the watermarked copy, or marks it damaged and tells the member."""

from __future__ import annotations

import hashlib
import html
import io
import re
import threading
from datetime import datetime, timedelta

from PIL import Image, ImageChops
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tests.web.test_inspection_flow import at, record_form
from tests.web.test_patrol_http import MOMENT, _at, _hazard_post
from webapp.cases import photos
from webapp.extensions import db
from webapp.models import Alert, EvidencePhoto, Job, StoredFile
from webapp.procedures.patrol.models import Patrol
from webapp.services import jobs


def _jpeg() -> bytes:
    """A small JPEG with detail everywhere (noise), so any cut or damage lands in real scan data."""
    out = io.BytesIO()
    Image.effect_noise((400, 300), 40).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def _corrupt_middle(content: bytes) -> bytes:
    """The same JPEG with a start-of-scan marker written over the middle of its scan data: header and EOI
    intact (the submit's structural check passes), the full decode fails."""
    middle = len(content) // 2
    return content[:middle] + b"\xff\xda\x00\x02" + content[middle + 4:]


def _submit(app, walker, unit_id: int, content: bytes, **fields):  # noqa: ANN001, ANN003, ANN202
    _at(app)
    data = _hazard_post(unit_id, **{"hazards-0-photos": (io.BytesIO(content), "后门.jpg"), **fields})
    return walker.post("/patrol/new", data, content_type="multipart/form-data")


def _run_jobs(app, session, moment: datetime = MOMENT) -> int:  # noqa: ANN001
    return jobs.run_due_jobs(session, app.extensions["firegrid.runtime"], worker="test", clock=lambda: moment)


def test_a_truncated_jpeg_is_refused_at_submit_beside_its_field_and_the_input_is_kept(app, session, small_town,
                                                                                     sign_in):
    unit = small_town.units["丰收便利店"]
    whole = _jpeg()
    response = _submit(app, sign_in("inspector"), unit.id, whole[: len(whole) * 2 // 3],
                       **{"hazards-0-description": "二楼楼梯间堆放杂物"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    message = "文件“后门.jpg”不是有效的图片：文件不完整（可能上传中断），请重新上传。"
    # beside the photo field of the first hazard, in the error list the field points to
    assert re.search(r'<input[^>]*aria-describedby="hazards-0-photos-error"[^>]*name="hazards-0-photos"', page)
    assert f'<div id="hazards-0-photos-error"><p class="error" role="alert">{html.escape(message)}</p>' in page
    assert 'value="二楼楼梯间堆放杂物"' in page  # the sentence typed is kept
    assert session.scalars(select(Patrol)).all() == [] and session.scalars(select(EvidencePhoto)).all() == []


def test_a_jpeg_damaged_in_the_middle_is_accepted_then_marked_damaged_and_the_member_alerted(
        app, session, small_town, sign_in):
    unit = small_town.units["丰收便利店"]
    walker = sign_in("inspector")
    damaged = _corrupt_middle(_jpeg())
    assert _submit(app, walker, unit.id, damaged).status_code == 302  # the structural check cannot see it
    [photo] = session.scalars(select(EvidencePhoto)).all()
    assert photo.status == "pending" and photo.file_sha256 == hashlib.sha256(damaged).hexdigest()

    assert _run_jobs(app, session) == 1
    session.expire_all()
    assert photo.status == "damaged" and photo.print_sha256 is None
    assert runtime_store(app).read(photo.file_sha256) == damaged  # the original is kept as evidence
    [alert] = session.scalars(select(Alert).where(Alert.kind == "photo_damaged")).all()
    assert alert.recipient_id == small_town.users["inspector"].id and alert.instance_id == photo.instance_id
    assert "照片已损坏，请重新上传" in alert.title and "后门.jpg" in alert.body
    assert "照片损坏" in walker.get("/alerts/").get_data(as_text=True)
    # shown so on the patrol's page and in the unit's file, where no broken picture is offered
    case_page = walker.get(f"/cases/{photo.instance_id}").get_data(as_text=True)
    assert "照片已损坏，请重新上传" in case_page
    unit_page = walker.get(f"/units/{unit.id}").get_data(as_text=True)
    assert "1张照片已损坏，请重新上传" in unit_page and f"/photos/{photo.file_sha256}" not in unit_page


def test_an_inspection_photo_takes_the_same_path_and_its_hazard_shows_it_damaged(app, session, small_town,
                                                                                  sign_in):
    app.extensions["firegrid.clock"].set(at("2026-09-28T09:40"))
    inspector = sign_in("inspector")
    data = record_form(inspector, session, small_town.units["快乐网咖"], {0: "疏散通道堆放杂物"})
    data["items-0-photos"] = (io.BytesIO(_corrupt_middle(_jpeg())), "通道.jpg")
    response = inspector.post("/procedures/inspection/start", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [photo] = session.scalars(select(EvidencePhoto)).all()
    assert _run_jobs(app, session) == 1
    session.expire_all()
    assert photo.status == "damaged" and photo.member_id == small_town.users["inspector"].id
    page = inspector.get(f"/cases/{photo.instance_id}").get_data(as_text=True)
    assert "照片已损坏，请重新上传" in page and "水印件</a>" not in page


def test_the_job_makes_a_watermarked_copy_and_leaves_the_original_as_it_was(app, session, small_town, sign_in):
    unit = small_town.units["丰收便利店"]
    original = _jpeg()
    assert _submit(app, sign_in("inspector"), unit.id, original).status_code == 302
    _run_jobs(app, session)
    [photo] = session.scalars(select(EvidencePhoto)).all()
    store = runtime_store(app)
    assert photo.status == "ready" and photo.file_sha256 == hashlib.sha256(original).hexdigest()
    assert store.read(photo.file_sha256) == original and store.verify(photo.file_sha256)
    with Image.open(io.BytesIO(original)) as before, Image.open(io.BytesIO(store.read(photo.print_sha256))) as after:
        assert after.size == before.size
        difference = ImageChops.difference(before.convert("RGB"), after.convert("RGB"))
        band = difference.crop((0, before.height * 3 // 4, before.width, before.height)).getbbox()
        assert band is not None  # the watermark band at the bottom differs from the photo
    [hazard] = session.scalar(select(Patrol)).hazards
    assert photos.resolve(session, hazard.photos)[0]["print_file"] == photo.print_sha256


def test_the_job_does_each_photo_once_when_run_twice_or_at_once(app, session, small_town, sign_in):
    unit = small_town.units["丰收便利店"]
    assert _submit(app, sign_in("inspector"), unit.id, _corrupt_middle(_jpeg())).status_code == 302
    [photo] = session.scalars(select(EvidencePhoto)).all()
    photo_id, instance_id = photo.id, photo.instance_id
    # a second job about the same photo (say, queued twice), both workers at the same moment
    jobs.enqueue(session, kind=photos.JOB_KIND, now=MOMENT, params={"photos": [photo_id]}, total=1)
    session.commit()
    store, outcomes, start = runtime_store(app), [], threading.Barrier(2)

    def worker() -> None:
        with app.app_context(), Session(db.engine) as own:
            start.wait()
            outcomes.append(photos.process(own, store, photo_id, MOMENT))
            own.commit()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]
    files = session.scalar(select(db.func.count()).select_from(StoredFile))
    _run_jobs(app, session)  # both queued jobs find the photo done
    session.expire_all()
    assert {job.status for job in session.scalars(select(Job))} == {"done"}
    assert session.scalar(select(db.func.count()).select_from(StoredFile)) == files
    assert len(session.scalars(select(Alert).where(Alert.instance_id == instance_id,
                                                   Alert.kind == "photo_damaged")).all()) == 1


def test_before_the_job_ran_the_unit_file_previews_the_original(app, session, small_town, sign_in):
    unit = small_town.units["丰收便利店"]
    walker = sign_in("inspector")
    original = _jpeg()
    assert _submit(app, walker, unit.id, original).status_code == 302
    key = hashlib.sha256(original).hexdigest()
    assert "水印件生成中" in walker.get(f"/cases/{session.scalar(select(Patrol)).instance_id}").get_data(as_text=True)
    page = walker.get(f"/units/{unit.id}").get_data(as_text=True)
    assert f"/units/{unit.id}/photos/{key}/thumbnail.jpg" in page and "1张水印件生成中，暂用原图" in page
    thumbnail = walker.get(f"/units/{unit.id}/photos/{key}/thumbnail.jpg")
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumbnail.data)) as image:
        image.load()  # a whole picture, not a broken one
    assert walker.get(f"/units/{unit.id}/photos/{key}").data == original


def runtime_store(app):  # noqa: ANN001, ANN201
    return app.extensions["firegrid.runtime"].documents.store



def test_a_photo_whose_file_is_gone_is_marked_and_the_next_one_still_gets_its_copy(app, session, small_town,
                                                                                  sign_in):
    """Not a decode failure — the stored bytes are missing (a restore gone wrong): the job marks that photo
    and goes on, instead of failing its whole chunk until it gives up with every photo left pending."""
    unit, walker = small_town.units["丰收便利店"], sign_in("inspector")
    assert _submit(app, walker, unit.id, _jpeg()).status_code == 302
    missing = session.scalars(select(EvidencePhoto)).one()
    runtime_store(app).path(missing.file_sha256).unlink()
    good = Image.effect_noise((300, 200), 30).convert("RGB")
    out = io.BytesIO()
    good.save(out, "JPEG")
    assert _submit(app, walker, unit.id, out.getvalue()).status_code == 302
    assert _run_jobs(app, session) == 2
    session.expire_all()
    states = [p.status for p in session.scalars(select(EvidencePhoto).order_by(EvidencePhoto.id))]
    assert states == ["damaged", "ready"]


def _failing_photo_updates(times: int):  # noqa: ANN202
    """An engine hook that fails the job's claim of a photo (an UPDATE of evidence_photo) `times` times, as a
    database that is locked or gone would: the job's chunk fails as a whole, not one photo."""
    left = [times]

    def fail(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        if statement.lstrip().upper().startswith("UPDATE EVIDENCE_PHOTO") and left[0] > 0:
            left[0] -= 1
            raise OperationalError(statement, parameters, Exception("database is locked"))

    return fail


def _photo_jobs(session: Session) -> list[tuple[str, int]]:
    session.expire_all()
    return [(job.status, int(job.params.get("round") or 1))
            for job in session.scalars(select(Job).where(Job.kind == photos.JOB_KIND).order_by(Job.id))]


def test_photos_left_pending_by_a_job_that_gave_up_are_queued_again(app, session, small_town, sign_in):
    unit, walker = small_town.units["丰收便利店"], sign_in("inspector")
    assert _submit(app, walker, unit.id, _jpeg()).status_code == 302
    hook = _failing_photo_updates(jobs.MAX_ATTEMPTS)
    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        _run_jobs(app, session)
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)
    assert _photo_jobs(session) == [("failed", 1), ("pending", 2)]  # the new job waits a while
    assert _run_jobs(app, session, MOMENT + timedelta(seconds=30)) == 0
    _run_jobs(app, session, MOMENT + jobs.STALE_AFTER + timedelta(seconds=1))
    assert _photo_jobs(session) == [("failed", 1), ("done", 2)]
    assert session.scalars(select(EvidencePhoto)).one().status == "ready"


def test_after_the_last_round_the_photo_stays_pending_and_no_job_is_queued(app, session, small_town, sign_in):
    unit, walker = small_town.units["丰收便利店"], sign_in("inspector")
    assert _submit(app, walker, unit.id, _jpeg()).status_code == 302
    hook = _failing_photo_updates(10_000)
    event.listen(db.engine, "before_cursor_execute", hook)
    try:
        for minutes in range(0, 3 * photos.REQUEUE_ROUNDS, 3):  # each round waits a while before it runs
            _run_jobs(app, session, MOMENT + timedelta(minutes=minutes))
    finally:
        event.remove(db.engine, "before_cursor_execute", hook)
    assert _photo_jobs(session) == [("failed", round_) for round_ in range(1, photos.REQUEUE_ROUNDS + 1)]
    assert session.scalars(select(EvidencePhoto)).one().status == "pending"
