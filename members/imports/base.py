"""The import loop shared by every kind: chunks, duplicates, one transaction per chunk, counts.

An `Importer` says how to parse a row (`parse`), what identifies it within a file (`key`), and how
to turn a chunk of parsed rows into creates, updates and bad rows (`plan`) against lookups it
loads once per chunk. `write` applies a plan with bulk statements; `apply` is the two together,
and an importer with a set-based path on Postgres (orders) overrides it. Nothing here runs a
query per row; a row is either written whole or reported, never half-applied.
"""

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import batched
from pathlib import Path
from typing import BinaryIO, ClassVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members.models import ImportKind, ImportRun, ImportStatus, User

from .cells import Cells, RowError
from .reading import Record, open_records
from .report import ErrorReport, shown
from .status import import_run_move

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 5000
UPDATE_BATCH_SIZE = 1000


@dataclass
class Plan:
    """What one chunk does: new objects, changed objects, and the rows refused."""

    create: list[models.Model] = field(default_factory=list)
    update: list[models.Model] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def reject(self, row: int, column: str, value, reason: str) -> None:
        self.errors.append(RowError(row, column, "" if value is None else str(value), reason))


@dataclass
class Applied:
    """What applying one chunk did: how many rows were created and updated, and the rows refused
    by checks against the database (the rest of the chunk's rows were already as in the file)."""

    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Counts:
    read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0

    @property
    def unchanged(self) -> int:
        return self.read - self.created - self.updated - self.rejected

    def plus(self, *, read: int, created: int, updated: int, rejected: int) -> "Counts":
        return Counts(
            self.read + read,
            self.created + created,
            self.updated + updated,
            self.rejected + rejected,
        )


class Importer:
    """One kind of import file. Subclasses fill in the class attributes and three methods."""

    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[str, ...]]
    # The column a within-file duplicate is reported on, and the fields a re-import may change.
    key_column: ClassVar[str]
    update_fields: ClassVar[tuple[str, ...]] = ()
    # Rows per chunk (one transaction each) when the caller does not say.
    chunk_size: ClassVar[int] = DEFAULT_CHUNK_SIZE

    def parse(self, cells: Cells):
        """A parsed row (its cells' errors are left on `cells`)."""
        raise NotImplementedError

    def key(self, row) -> tuple | None:
        """What identifies the row within the file, or None when that part did not parse."""
        raise NotImplementedError

    def plan(self, rows: list) -> Plan:
        raise NotImplementedError

    def apply(self, rows: list) -> Applied:
        """Apply one chunk of parsed rows (inside the chunk's transaction)."""
        plan = self.plan(rows)
        self.write(plan)
        return Applied(len(plan.create), len(plan.update), plan.errors)

    def write(self, plan: Plan) -> None:
        if plan.create:
            self.model.objects.bulk_create(plan.create)
        if plan.update:
            self.model.objects.bulk_update(
                plan.update, self.update_fields, batch_size=UPDATE_BATCH_SIZE
            )


@dataclass
class ParsedChunk:
    read: int
    rows: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    keys: dict[tuple, int] = field(default_factory=dict)


@dataclass
class ImportResult:
    run: ImportRun
    counts: Counts
    report_path: Path | None


class ImportJob:
    """One run of one importer over one file."""

    def __init__(self, importer: Importer, run: ImportRun, report: ErrorReport, chunk_size: int):
        self.importer = importer
        self.run = run
        self.report = report
        self.chunk_size = chunk_size
        self.counts = Counts()
        self.seen: dict[tuple, int] = {}  # key -> the row where it first appeared

    def process(self, records: Iterator[Record], progress=None) -> None:
        """Apply the file chunk by chunk, reading and parsing the next chunk in a helper thread
        meanwhile: the database works on one chunk (the GIL released) while Python parses the
        next. Reading and parsing touch no database; the helper speaks the caller's language."""
        chunks = batched(records, self.chunk_size)
        language = translation.get_language()

        def parse_next() -> ParsedChunk | None:
            with translation.override(language):
                batch = next(chunks, None)
                return None if batch is None else self._parse(batch)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-parse") as parser:
            ahead = parser.submit(parse_next)
            while (chunk := ahead.result()) is not None:
                ahead = parser.submit(parse_next)
                self._apply_chunk(chunk)
                if progress:
                    progress(self.counts)

    def _apply_chunk(self, chunk: "ParsedChunk") -> None:
        applied = self._apply(chunk)
        self.report.add_rows([*chunk.errors, *applied.errors])

    def _parse(self, records: tuple[Record, ...]) -> "ParsedChunk":
        chunk = ParsedChunk(read=len(records))
        for record in records:
            if record.error is not None:
                chunk.errors.append(record.error)
                continue
            cells = Cells(record.row, record.values)
            row = self.importer.parse(cells)
            key = self.importer.key(row)
            if key is not None:
                first = self.seen.get(key) or chunk.keys.get(key)
                if first:
                    cells.fail(self.importer.key_column, _duplicate_reason(first))
                else:
                    chunk.keys[key] = record.row
            if cells.errors:
                chunk.errors.extend(cells.errors)
            else:
                chunk.rows.append(row)
        self.seen.update(chunk.keys)
        return chunk

    def _apply(self, chunk: "ParsedChunk") -> Applied:
        """Apply the chunk in one transaction, its counts with it. A write conflict (another
        import committing the same rows in between) is retried once with fresh lookups; a second
        one rejects the chunk's rows rather than half-applying them."""
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    applied = self.importer.apply(chunk.rows) if chunk.rows else Applied()
                    counts = self._save_counts(chunk, applied)
            except IntegrityError:
                logger.warning("import run %s: write conflict (attempt %s)", self.run.pk, attempt)
                continue
            self.counts = counts
            return applied
        reason = _("写入冲突（可能有另一个导入同时写入同样的数据），请重新导入该文件。")
        applied = Applied(errors=[RowError(row.row, "", "", reason) for row in chunk.rows])
        self.counts = self._save_counts(chunk, applied)
        return applied

    def _save_counts(self, chunk: "ParsedChunk", applied: Applied) -> Counts:
        counts = self.counts.plus(
            read=chunk.read,
            created=applied.created,
            updated=applied.updated,
            rejected=len({e.row for e in chunk.errors}) + len({e.row for e in applied.errors}),
        )
        ImportRun.objects.filter(pk=self.run.pk).update(
            rows_read=counts.read,
            rows_created=counts.created,
            rows_updated=counts.updated,
            rows_rejected=counts.rejected,
        )
        return counts

    def finish(self, **fields) -> ImportResult:
        """The run is FINISHED with its counts and stored bad rows (and `fields`)."""
        report_path = self.report.finish()
        import_run_move(
            self.run,
            ImportStatus.FINISHED,
            rows_read=self.counts.read,
            rows_created=self.counts.created,
            rows_updated=self.counts.updated,
            rows_rejected=self.counts.rejected,
            errors=self.report.stored,
            **fields,
        )
        return ImportResult(self.run, self.counts, report_path)

    def fail(self, reason: str, **fields) -> None:
        """The run is FAILED: the rows of the chunks already committed stay (each chunk is whole),
        and the first bad rows found so far are kept with the reason."""
        self.report.abandon()
        import_run_move(
            self.run,
            ImportStatus.FAILED,
            errors=self.report.stored,
            failure=reason,
            **fields,
        )


def _duplicate_reason(first_row: int) -> str:
    return _("与第 %(row)s 行重复：同一条数据在文件中出现了多次，只导入第一次出现的行。") % {
        "row": first_row
    }


def run_import(
    importer: Importer,
    stream: BinaryIO,
    *,
    file_name: str,
    actor: User | None = None,
    report_path: Path | None = None,
    chunk_size: int | None = None,
    progress=None,
) -> ImportResult:
    """Import a CSV file. Raises ImportFileError, before writing anything, when it is unreadable."""
    records = open_records(stream, importer.columns)
    run = ImportRun.objects.create(
        kind=ImportKind(importer.kind),
        status=ImportStatus.RUNNING,
        started_at=timezone.now(),
        file_name=shown(file_name)[-255:],
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    job = ImportJob(importer, run, ErrorReport(report_path), chunk_size or importer.chunk_size)
    try:
        job.process(records, progress)
    except BaseException:
        record_failure(job, _("导入中断；已导入的行保留，重新导入该文件不会重复。"))
        raise
    return job.finish()


def record_failure(job: ImportJob, reason: str, **fields) -> None:
    """Mark the run failed without hiding the error that stopped it (the connection may be gone)."""
    try:
        job.fail(reason, **fields)
    except Exception:
        logger.exception("import run %s: could not record its failure", job.run.pk)
