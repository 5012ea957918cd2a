"""Evidence photos (现场照片) waiting for, or past, their background check (issue 19).

A photo of a patrol's or an inspection's hazard is stored at submit after a structural check only; this row
says what the background job (cases.photos) then found when it decoded every pixel: "ready" with the
watermarked print copy, or "damaged". Upload references in JSON (hazards, leads, task data) carry this row's
id as `photo`, so every copy of a reference reads the one outcome.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.types import AwareDateTime

PHOTO_STATES = {"pending": "水印件生成中", "ready": "", "damaged": "照片已损坏，请重新上传"}


class EvidencePhoto(db.Model):
    __tablename__ = "evidence_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_sha256: Mapped[str] = mapped_column(ForeignKey("stored_file.sha256"))  # the original, as uploaded
    name: Mapped[str] = mapped_column(String(200), default="")  # the uploaded file's name
    status: Mapped[str] = mapped_column(String(10), default="pending")
    print_sha256: Mapped[str | None] = mapped_column(ForeignKey("stored_file.sha256"))  # the watermarked copy
    # What the watermark says, fixed at submit: the unit, the moment and the member.
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    member_name: Mapped[str] = mapped_column(String(50), default="")
    taken_at: Mapped[datetime] = mapped_column(AwareDateTime())
    # Who is told when the photo turns out damaged, and the case the notice opens.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    __table_args__ = (Index("ix_evidence_photo_status_id", "status", "id"),)

    @property
    def state_label(self) -> str:
        return PHOTO_STATES.get(self.status, self.status)
