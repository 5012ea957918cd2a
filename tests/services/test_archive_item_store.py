"""The temporary store an export plans its items in: SQL groups a year's documents into items and orders the
catalogue as the rules say (items.py), and answers the export's checks."""

from __future__ import annotations

from datetime import timedelta

from tests.services.test_archive_export import at
from webapp.archive.item_store import ItemStore, PlannedDocument

GROUPS = [["notice", "opinion"], ["opinion", "receipt"]]  # chained: an opinion is a group's member and main


def _document(id_: int, key: str, case: int | None = None, *, retention: str = "D30", organ_code: str = "BGS",
              **stored) -> PlannedDocument:
    issued = at("2026-03-01T09:00") + timedelta(days=id_)
    return PlannedDocument(id_, case, key, f"题名{id_}", "", "某镇人民政府", issued, retention, organ_code, **stored)


def _items(documents: list[PlannedDocument], **choice) -> list[tuple[list[int], str]]:  # noqa: ANN003
    with ItemStore() as store:
        store.add(documents)
        store.group(GROUPS)
        store.choose(**choice)
        return [(plan.document_ids, plan.archive_code) for batch in store.batches(2) for plan in batch]


def test_documents_join_their_cases_main_document_read_before_them():
    assert _items([
        _document(1, "notice", 7), _document(2, "opinion", 7), _document(3, "opinion", 7),  # both join notice 1
        _document(4, "opinion", 8), _document(5, "notice", 8),  # the opinion came first: its own item
        _document(6, "opinion", 9), _document(7, "receipt", 9),  # no notice: the receipt joins the opinion
        _document(8, "notice", 10), _document(9, "opinion", 10), _document(10, "receipt", 10),  # the opinion
        # joined the notice, so it is no item's main: the receipt stands alone
        _document(11, "notice", 11), _document(12, "notice", 11), _document(13, "opinion", 11),  # the later notice
        _document(14, "opinion"),  # no case
    ]) == [([1, 2, 3], ""), ([4], ""), ([5], ""), ([6, 7], ""), ([8, 9], ""), ([10], ""), ([11], ""),
           ([12, 13], ""), ([14], "")]


def test_catalogue_order_is_class_then_filed_serial_then_date_and_choices_filter():
    documents = [_document(1, "record", retention="D10"), _document(2, "notice"),
                 _document(3, "notice", item_id=30, archive_code="D30-BGS-0002", serial=2),
                 _document(4, "notice", organ_code="AQB"), _document(5, "plan", retention="Y"),
                 _document(6, "notice", item_id=60, archive_code="D30-BGS-0001", serial=1)]
    assert [ids for ids, _ in _items(documents)] == [[5], [4], [6], [3], [2], [1]]
    assert _items(documents, retentions={"D30"}, organ_codes={"BGS"}) == [
        ([6], "D30-BGS-0001"), ([3], "D30-BGS-0002"), ([2], "")]


def test_the_store_answers_which_documents_are_exported_and_which_codes_repeat():
    with ItemStore() as store:
        store.add([_document(1, "notice", 7), _document(2, "opinion", 7), _document(3, "record", retention="D10")])
        store.group(GROUPS)
        assert store.choose(retentions={"D30"}) == 1
        assert store.exported([1, 2, 3, 4]) == {1, 2}
        store.file(["A-0001", "A-0002"])
        store.file(["A-0001", "A-0003", "A-0001"])
        assert store.repeated_codes() == [("A-0001", 3)]
