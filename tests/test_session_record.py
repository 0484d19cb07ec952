"""SessionRecord's bookkeeping of finished jobs: wait(ANY)'s order, and no unbounded growth."""

from __future__ import annotations

from types import SimpleNamespace

from simulator.model.cluster import SessionRecord


def _finished(record: SessionRecord, number: int, task: int = 0) -> str:
    job_id = f"{number}.{task}" if task else str(number)
    job = SimpleNamespace(id=job_id, number=number, end_seq=number * 1000 + task)
    record.add_finished(job)  # type: ignore[arg-type]
    return job_id


def test_first_finished_is_the_lowest_job_number_not_the_first_to_end():
    record = SessionRecord("session=h.1.1")
    for number in (7, 3, 5):
        _finished(record, number)
    first = record.first_finished()
    assert first is not None and first.id == "3"
    record.discard_finished("3")
    first = record.first_finished()
    assert first is not None and first.id == "5"


def test_jobs_reaped_by_id_do_not_pile_up_in_the_wait_any_heap():
    """A client that only ever waits by id never lets wait(ANY) pop the stale entries."""
    record = SessionRecord("session=h.1.1")
    kept = _finished(record, 1)
    for number in range(2, 10_002):
        record.discard_finished(_finished(record, number))
    assert len(record.finished) == 1
    assert len(record.finished_order) <= 2 * len(record.finished) + 64 + 1
    first = record.first_finished()
    assert first is not None and first.id == kept


def test_compaction_keeps_the_order_of_what_is_left():
    record = SessionRecord("session=h.1.1")
    ids = [_finished(record, number) for number in range(500, 0, -1)]
    for job_id in ids:
        if int(job_id) % 3:
            record.discard_finished(job_id)
    handed_out = []
    while (job := record.first_finished()) is not None:
        handed_out.append(int(job.id))
        record.discard_finished(job.id)
    assert handed_out == [n for n in range(1, 501) if n % 3 == 0]


def test_discarding_an_unknown_job_changes_nothing():
    record = SessionRecord("session=h.1.1")
    _finished(record, 1)
    record.discard_finished("2")
    assert list(record.finished) == ["1"] and len(record.finished_order) == 1
