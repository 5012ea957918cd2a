"""Evidence photos (现场照片) of patrols and inspections: checked cheaply at submit, decoded in the background.

Issue 19: a patrol with a 3 MB photo must answer about as fast as any step, so the submit does no pixel
work. `store_upload` checks the file's structure only and stores the bytes as uploaded (named by their
SHA-256); `register` then records each photo as an EvidencePhoto ("pending") with the facts its watermark
will carry (unit, moment, member), puts the row's id into the reference (`photo`) and queues one
"evidence_photos" job for the submit. The job (`firegrid tick`, or the loop of `firegrid serve`) decodes
every pixel of each photo: a good one gets its watermarked print copy ("ready"); one that cannot be decoded
(a corrupt middle the structural check cannot see) is "damaged", shown so wherever the photo is, and the
member gets an in-app notice to upload it again. The original is kept either way, as evidence.

A photo is taken with a conditional UPDATE (pending only) in the transaction that writes its outcome: of two
processes, the second waits on the row and then finds it no longer pending, so no photo is done twice.
Until the job has run, pages show the original with a note (`resolve`), and what is printed or sent makes
the copy on the spot (`printable`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from webapp.cases import alerts
from webapp.models import StoredFile, User
from webapp.models.jobs import Job
from webapp.models.photos import PHOTO_STATES, EvidencePhoto
from webapp.services import jobs, uploads
from webapp.services.errors import InvalidInput
from webapp.services.storage.backends import FileBackend

JOB_KIND = "evidence_photos"
log = logging.getLogger(__name__)
CHUNK = 5  # photos per job chunk (about a tenth of a second each for a 12 MP photo), committed together
DAMAGED_NOTICE = "photo_damaged"
REQUEUE_ROUNDS = 3  # jobs per photo when chunks keep failing (each job tries a chunk jobs.MAX_ATTEMPTS times)


def register(session: Session, refs: list | None, *, unit_name: str, member: User | None,
             instance_id: int | None, now: datetime) -> list[dict]:
    """The references of an evidence field, each photo recorded for its background check and watermark
    and queued; other files, and photos registered before (a lead's photos taken up by an inspection) or
    watermarked before (`print_file`), come back as they are."""
    pairs: list[tuple[dict, EvidencePhoto | None]] = []
    for ref in refs or []:
        if not ref:
            continue
        if ref.get("type") not in uploads.IMAGE_FORMATS or ref.get("photo") or ref.get("print_file"):
            pairs.append((dict(ref), None))
            continue
        photo = EvidencePhoto(file_sha256=ref["file"], name=str(ref.get("name") or "")[:200], status="pending",
                              unit_name=unit_name[:200], member_name=(member.display_name if member else "")[:50],
                              member_id=member.id if member else None, instance_id=instance_id, taken_at=now)
        session.add(photo)
        pairs.append((ref, photo))
    new = [photo for _, photo in pairs if photo is not None]
    if new:
        session.flush()
        jobs.enqueue(session, kind=JOB_KIND, now=now, params={"photos": [p.id for p in new]}, total=len(new),
                     subject=f"{JOB_KIND}:{instance_id or ''}")
    return [ref if photo is None else {**ref, "photo": photo.id} for ref, photo in pairs]


def process(session: Session, store: FileBackend, photo_id: int, now: datetime) -> bool:
    """Decode one pending photo in full and make its watermarked copy, or mark it damaged and tell the member;
    False when it is not pending (done, or being done by another process, which holds its row until it
    commits). The caller commits."""
    taken = session.execute(update(EvidencePhoto).where(EvidencePhoto.id == photo_id,
                                                        EvidencePhoto.status == "pending")
                            .values(checked_at=now).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return False
    photo = session.get(EvidencePhoto, photo_id, populate_existing=True)
    stored = session.get(StoredFile, photo.file_sha256)
    ref = {"file": photo.file_sha256, "name": photo.name, "type": stored.media_type if stored else ""}
    try:
        with session.begin_nested():  # a failure half-way keeps no print copy
            marked = uploads.watermark_photo(session, store, ref, unit_name=photo.unit_name,
                                             member=photo.member_name, when=photo.taken_at)
    except Exception as error:  # noqa: BLE001 - any photo that cannot be done must not hold up the others
        if not isinstance(error, InvalidInput):  # not a decode failure: a missing file, a Pillow bug …
            log.exception("evidence photo %s could not be processed", photo_id)
        photo.status = "damaged"
        _tell_member(session, photo, now)
    else:
        photo.status, photo.print_sha256 = "ready", marked.get("print_file")
    session.flush()
    return True


def _tell_member(session: Session, photo: EvidencePhoto, now: datetime) -> None:
    if photo.member_id is None:
        return
    taken = photo.taken_at.strftime("%Y-%m-%d %H:%M")
    notice = alerts.Notice(DAMAGED_NOTICE, f"{DAMAGED_NOTICE}:{photo.id}",
                           f"{taken}在{photo.unit_name}上传的照片“{photo.name}”已损坏，无法打开（原文件已保留）。"
                           "请重新拍照上传。")
    alerts.notify(session, [photo.member_id], notice, f"照片已损坏，请重新上传：{photo.unit_name}", now,
                  instance_id=photo.instance_id)


def _step(session: Session, job: Job, runtime: Any, now: datetime) -> bool:
    ids = list(job.params.get("photos") or [])
    for photo_id in ids[job.done:job.done + CHUNK]:
        process(session, runtime.documents.store, int(photo_id), now)
    job.done = min(len(ids), job.done + CHUNK)
    job.phase = f"已处理 {job.done} 张照片"
    return job.done >= len(ids)


def _given_up(session: Session, job: Job, now: datetime) -> None:
    """A chunk failed three times over (the database, not a photo: those are marked one by one): queue the
    photos it left pending again, so that none waits for ever; after the last round they stay pending and
    what is printed still makes their copy on the spot (`printable`)."""
    ids = [int(i) for i in job.params.get("photos") or []]
    left = session.scalars(select(EvidencePhoto.id).where(EvidencePhoto.id.in_(ids),
                                                          EvidencePhoto.status == "pending")).all() if ids else []
    round_ = int(job.params.get("round") or 1)
    if not left or round_ >= REQUEUE_ROUNDS:
        if left:
            log.error("evidence photos %s stay pending after %d rounds", sorted(left), round_)
        return
    jobs.enqueue(session, kind=JOB_KIND, now=now, params={"photos": sorted(left), "round": round_ + 1},
                 total=len(left), subject=job.subject, later=True)  # a database blip gets time to pass


JOB = jobs.JobKind(JOB_KIND, "现场照片水印", _step, on_failed=_given_up)


def resolve(session: Session, refs: list | None) -> list[dict]:
    """Copies of photo references with what their check found: `print_file` once the watermarked copy is
    made, and `state` — "" (ready, or a file of no photo), "水印件生成中" or "照片已损坏，请重新上传"."""
    return resolve_groups(session, [refs])[0]


def resolve_groups(session: Session, groups: list[list | None]) -> list[list[dict]]:
    """`resolve` for several lists of references (e.g. each entry of a unit's file) with one query."""
    groups = [[r for r in refs or [] if isinstance(r, dict) and r.get("file")] for refs in groups]
    ids = {int(r["photo"]) for refs in groups for r in refs if r.get("photo") and not r.get("print_file")}
    found = ({p.id: p for p in session.scalars(select(EvidencePhoto).where(EvidencePhoto.id.in_(ids)))}
             if ids else {})

    def resolved(ref: dict) -> dict:
        photo = found.get(int(ref.get("photo") or 0)) if not ref.get("print_file") else None
        if photo is None:
            return {**ref, "state": ""}
        extra = {"print_file": photo.print_sha256} if photo.print_sha256 else {}
        return {**ref, **extra, "state": PHOTO_STATES.get(photo.status, "")}

    return [[resolved(ref) for ref in refs] for refs in groups]


def display_keys(resolved: list[dict]) -> tuple[tuple[str, ...], str]:
    """(the stored files a page or the unit file's PDF shows for these resolved photos, a note): each photo's
    watermarked copy, else its original while the copy is being made (said in the note); a damaged photo is
    left out (its bytes show no picture) and counted in the note."""
    damaged = [r for r in resolved if r["state"] == PHOTO_STATES["damaged"]]
    waiting = sum(r["state"] == PHOTO_STATES["pending"] for r in resolved)
    keys = tuple(r.get("print_file") or r["file"] for r in resolved if r not in damaged)
    notes = [f"{len(damaged)}张{PHOTO_STATES['damaged']}" if damaged else "",
             f"{waiting}张{PHOTO_STATES['pending']}，暂用原图" if waiting else ""]
    return keys, "；".join(note for note in notes if note)


def printable(session: Session, store: FileBackend, ref: dict, now: datetime) -> tuple[str, str, str]:
    """(file, name, media type) to print or send for a photo reference: its watermarked copy, made now when
    the job has not yet come to it; the original when it is damaged (kept as evidence)."""
    [resolved] = resolve(session, [ref])
    if resolved["state"] == PHOTO_STATES["pending"] and process(session, store, int(ref["photo"]), now):
        [resolved] = resolve(session, [ref])
    return uploads.print_copy(resolved)
