"""Issue 17, items 2 and 11: one input sanitiser for every form field (webapp.forms.sanitise)."""

from __future__ import annotations

import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from tests.form_support import error_beside
from tests.web.test_notice_issuance import _issue, at, draft_form
from webapp.archive.models import ArchiveExport
from webapp.models import GridPost, Unit
from webapp.procedures.evaluation.models import FireIncident
from webapp.procedures.inspection.models import ChecklistItem


def test_vertical_tab_in_a_notice_title_is_stripped_and_the_years_archive_exports(app, session, sign_in, small_town):
    app.extensions["firegrid.clock"].set(at("2026-03-02T09:00"))
    clerk, office_head, leader = sign_in("clerk"), sign_in("office_head"), sign_in("leader")
    document = _issue(clerk, office_head, leader, draft_form(title="关于冬春\x0b火灾防控的通知",
                                                             body="正文第一段\x0b，粘贴自Word。\n\t第二段。"))
    assert document.title == "关于冬春火灾防控的通知"
    distribute = clerk.inbox_task_id("印发登记")
    assert clerk.post(f"/tasks/{distribute}", {"printed_on": "2026-03-02", "copies": "12",
                                               "recipients": "各村（社区）"}).status_code == 302
    register = load_workbook(io.BytesIO(clerk.get("/notices/register.xlsx?year=2026").data)).active
    assert "关于冬春火灾防控的通知" in [cell.value for cell in register[2]]

    assert "关于冬春火灾防控的通知" in exported_catalogue(session, sign_in("archivist"))


def exported_catalogue(session, archivist) -> list[str]:  # noqa: ANN001
    """Export 2026 as the archivist; the non-empty cells of the package's 归档文件目录.xlsx."""
    assert archivist.post("/archive/export", {"year": "2026", "pdf": ""}).status_code == 302
    record = session.scalar(select(ArchiveExport))
    assert record.status == "done" and record.item_count >= 1, record.message
    with zipfile.ZipFile(io.BytesIO(archivist.get(f"/archive/exports/{record.id}.zip").data)) as package:
        catalogue = next(n for n in package.namelist() if n.endswith("归档文件目录.xlsx"))
        rows = load_workbook(io.BytesIO(package.read(catalogue))).active.iter_rows(values_only=True)
        return [str(value) for row in rows for value in row if value]


def test_nul_and_newline_are_refused_beside_the_field(session, sign_in, small_town):
    clerk = sign_in("admin")
    grid_id = str(small_town.village.children[0].id)
    base = {"category": "small_shop", "grid_id": grid_id}
    refused = clerk.post("/units/new", {**base, "name": "晨光\x00小卖部", "address": "一行\n两行"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert error_beside(page, "name", "不能包含空字符（NUL）")
    assert error_beside(page, "address", "此项只能填写一行")
    assert session.scalar(select(Unit).where(Unit.name.contains("晨光"))) is None
    saved = clerk.post("/units/new", {**base, "name": "晨光\x07小卖部\u200b", "address": "\t一号 ", "staff_count": "3"})
    assert saved.status_code == 302
    unit = session.scalar(select(Unit).where(Unit.name.startswith("晨光")))
    assert unit.name == "晨光小卖部\u200b" and unit.address.strip() == "一号"  # BEL dropped, tab a space


def test_numbers_must_be_finite_and_within_the_database_range(session, sign_in, small_town):
    admin = sign_in("admin")
    base = {"name": "数字店", "category": "small_shop", "grid_id": str(small_town.village.children[0].id)}
    for field, value, message in [
            ("floor_area", "inf", "请输入有效的数字"), ("floor_area", "nan", "请输入有效的数字"),
            ("floor_area", "1e300", "数值超出范围"), ("staff_count", str(2**31), "数值超出范围"),
            ("staff_count", str(10**20), "数值超出范围")]:
        response = admin.post("/units/new", {**base, field: value})
        assert response.status_code == 400 and error_beside(response.get_data(as_text=True), field, message), value
    clerk = sign_in("clerk")
    fire = {"grid_id": str(small_town.village.id), "occurred_on": "2026-01-03", "place": "仓库", "deaths": "0",
            "injuries": "0"}
    for value in ("inf", "-inf", "nan", "Infinity"):
        response = clerk.post("/evaluation/fires", {**fire, "loss": value})
        assert response.status_code == 400 and "请输入有效的数字" in response.get_data(as_text=True), value
    assert session.scalar(select(FireIncident)) is None


def test_grid_post_names_are_bounded_by_the_column(session, sign_in, small_town):
    admin = sign_in("admin")
    node = small_town.village.children[0]
    too_long = admin.post(f"/grid/{node.id}/posts", {"post": "grid_head", "person_name": "长" * 51})
    assert too_long.status_code == 400
    assert error_beside(too_long.get_data(as_text=True), "person_name", "不能超过50个字")
    assert admin.post(f"/grid/{node.id}/posts", {"post": "grid_head", "person_name": "网格长甲"}).status_code == 302
    assert [p.person_name for p in session.scalars(select(GridPost))] == ["网格长甲"]
    assert admin.post(f"/grid/{node.id}/posts", {"post": "nonsense", "person_name": "乙"}).status_code == 400


def test_checklist_item_without_legal_basis_is_saved(session, sign_in, small_town):
    response = sign_in("admin").post("/inspection/checklist", {"name": "疏散通道畅通", "sort_order": "3"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    item = session.scalar(select(ChecklistItem).where(ChecklistItem.name == "疏散通道畅通"))
    assert item.legal_basis == "" and item.sort_order == 3


def test_text_recorded_before_the_sanitiser_does_not_block_exports(app, session, sign_in, small_town):
    """A vertical tab already in the database (from before the sanitiser): the archive and Excel still export."""
    from tests.services.test_archive_export import build_year
    from webapp.models import Document

    build_year(session, app)
    table = Document.__table__  # a Core update: issued documents refuse changes through the ORM
    original = [title for _id, title in session.execute(select(Document.id, Document.title)).all()]
    for document_id, title in session.execute(select(Document.id, Document.title)).all():
        session.execute(table.update().where(table.c.id == document_id).values(title=title[:2] + "\x0b" + title[2:]))
    session.commit()
    cells = exported_catalogue(session, sign_in("archivist"))
    titles = [c for c in cells if c.startswith(tuple(t[:2] for t in original))]
    assert titles and not any("\x0b" in c for c in cells)


def test_every_form_of_the_app_goes_through_the_sanitiser(app):
    """Page forms derive from ChineseForm, sub-forms (FormField rows) from SafeForm: both bind every field
    through webapp.forms.sanitise.harden, so a new form cannot skip it."""
    from wtforms import Form

    from webapp.forms.common import ChineseForm
    from webapp.forms.sanitise import SafeForm

    def subclasses(cls: type) -> list[type]:
        return [sub for direct in cls.__subclasses__() for sub in [direct, *subclasses(direct)]]

    ours = {cls for cls in subclasses(Form) if cls.__module__.startswith("webapp.")}
    assert len(ours) > 40
    assert [cls.__qualname__ for cls in ours if not issubclass(cls, ChineseForm | SafeForm)] == []


def test_list_entries_and_meeting_decisions_are_bounded_and_cleaned(app):
    from werkzeug.datastructures import MultiDict
    from wtforms import FieldList, StringField

    from webapp.forms.common import ChineseForm
    from webapp.procedures.meeting.forms import MAX_DECISIONS, MeetingRecordForm

    class Names(ChineseForm):
        class Meta:
            csrf = False

        names = FieldList(StringField("姓名"), max_entries=3)

    posted = MultiDict({f"names-{i}": value for i, value in enumerate(["甲\x0b乙", "丙\n丁", "戊", "己"])})
    with app.test_request_context(method="POST"):
        form = Names(formdata=posted)
        assert not form.validate()
        assert [entry.data for entry in form.names.entries] == ["甲乙", "丙\n丁", "戊"]
        assert form.errors == {"names": [[], ["此项只能填写一行，请删除换行。"], []]}
        many = MultiDict({f"decisions-{i}-title": "事项" for i in range(500)})
        assert len(MeetingRecordForm(formdata=many, meta={"csrf": False}).decisions.entries) == MAX_DECISIONS
