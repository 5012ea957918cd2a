"""The pool of LibreOffice listeners hands a batch to all of them at once and a single document to the
one used last; stand-in listeners record which thread converted what (the real ones: test_office_listener)."""

from __future__ import annotations

import threading
import time

import pytest

from webapp.documents.office_listener import JOIN_COLD, OfficePool, OfficeRefused


class StandIn:
    """Converts b"n" into b"pdf n" after a short pause, as a listener would; starts on first use."""

    def __init__(self, refuse: bytes = b"") -> None:
        self.running, self.refuse, self.done, self.threads = False, refuse, [], set()

    def start(self) -> None:
        self.running = True

    def convert(self, docx: bytes, pdfa: bool = False) -> bytes:
        self.running = True
        self.threads.add(threading.get_ident())
        time.sleep(0.01)
        if docx == self.refuse:
            raise OfficeRefused("cannot load")
        self.done.append(docx)
        return b"pdf " + docx + (b" A" if pdfa else b"")

    def close(self) -> None:
        self.running = False


def test_a_batch_is_shared_by_every_listener_and_comes_back_in_order():
    first, second = StandIn(), StandIn()
    pool = OfficePool([first, second])
    pool.start()
    documents = [str(n).encode() for n in range(12)]
    assert pool.convert_many(documents, pdfa=True) == [b"pdf " + d + b" A" for d in documents]
    assert first.done and second.done and sorted(first.done + second.done) == sorted(documents)
    assert first.threads.isdisjoint(second.threads)  # in parallel, one thread each


@pytest.mark.parametrize(("count", "joins"), [(JOIN_COLD - 5, False), (JOIN_COLD * 3, True)])
def test_a_listener_not_running_yet_joins_only_a_long_batch(count, joins):
    first, second = StandIn(), StandIn()
    documents = [str(n).encode() for n in range(count)]
    assert OfficePool([first, second]).convert_many(documents) == [b"pdf " + d for d in documents]
    assert bool(second.done) is joins and len(first.done) + len(second.done) == count


def test_a_single_document_goes_to_the_listener_used_last_so_clicks_start_only_one():
    first, second = StandIn(), StandIn()
    pool = OfficePool([first, second])
    for n in range(3):
        pool.convert(str(n).encode())
    assert first.done == [b"0", b"1", b"2"] and not second.running
    pool.start()  # at app start: every listener
    assert first.running and second.running


def test_the_first_refused_document_of_a_batch_stops_it_and_is_raised():
    pool = OfficePool([StandIn(refuse=b"3"), StandIn(refuse=b"3")])
    pool.start()
    with pytest.raises(OfficeRefused):
        pool.convert_many([str(n).encode() for n in range(40)])
    assert sum(len(listener.done) for listener in pool.listeners) < 39


def test_one_listener_converts_a_batch_in_the_callers_thread():
    only = StandIn()
    assert OfficePool([only]).convert_many([b"1", b"2"]) == [b"pdf 1", b"pdf 2"]
    assert only.threads == {threading.get_ident()}
