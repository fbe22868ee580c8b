"""The bad-row report: exact counts, a capped copy for the ImportRun, and the CSV for Excel.

The CSV is UTF-8 with a BOM (so Excel detects the encoding), columns 行号,列,值,原因, and every cell
that Excel would read as a formula is defused with a leading apostrophe.
"""

import csv
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from django.utils.translation import gettext as _

from members.phones import PhoneError, mask_phone, normalize_phone

from .cells import RowError

logger = logging.getLogger(__name__)

# How many bad cells an ImportRun keeps in its JSON; its counts stay exact.
STORED_ERRORS_CAP = 1000
REPORT_HEADER = ("行号", "列", "值", "原因")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(cell) -> str:
    """'=1+2' -> \"'=1+2\": Excel then shows the text instead of evaluating it."""
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def report_row(row, column, value, reason) -> list[str]:
    return [escape_formula(cell) for cell in (row, column, value, reason)]


def shown(value: str) -> str:
    """A value as the report shows it: a NUL (which JSON in Postgres cannot hold) made visible."""
    return value.replace("\x00", "\u2400")


def stored_value(error: RowError) -> str:
    """What the ImportRun keeps: a real mobile number masked (PIPL; the row number finds the row),
    anything else as typed, since that is what the user must see to fix it."""
    if error.column == "phone":
        try:
            return mask_phone(normalize_phone(error.value))
        except PhoneError:
            pass
    return shown(error.value)


class ErrorReport:
    """Collects bad rows in order: keeps the first few, streams all of them to a CSV file."""

    def __init__(self, report_path: Path | None = None):
        self.report_path = report_path
        self.stored: list[dict] = []
        self._partial_path = report_path and report_path.with_name(report_path.name + ".part")
        self._file = None
        self._writer = None

    def add_rows(self, errors: Iterable[RowError]) -> None:
        """Record the errors of one chunk, in row order."""
        for error in sorted(errors, key=lambda e: e.row):
            if len(self.stored) < STORED_ERRORS_CAP:
                self.stored.append(
                    {
                        "row": error.row,
                        "column": error.column,
                        "value": stored_value(error),
                        "reason": shown(error.reason),
                    }
                )
            self._write(error)

    def _write(self, error: RowError) -> None:
        if self.report_path is None:
            return
        if self._writer is None:
            try:
                self._file = open(self._partial_path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            except OSError as exc:
                # The import goes on: its ImportRun keeps the first bad rows all the same.
                logger.warning("cannot write the import report %s: %s", self._partial_path, exc)
                self.report_path = None
                return
            self._writer = csv.writer(self._file)
            self._writer.writerow(REPORT_HEADER)
        self._writer.writerow(
            report_row(error.row, error.column, shown(error.value), shown(error.reason))
        )

    def finish(self) -> Path | None:
        """Put the report in place (or remove a stale one when this run found nothing)."""
        if self.report_path is None:
            return None
        if self._file is not None:
            self._file.close()
            os.replace(self._partial_path, self.report_path)
            return self.report_path
        self.report_path.unlink(missing_ok=True)
        return None

    def abandon(self) -> None:
        if self._file is not None:
            self._file.close()
            self._partial_path.unlink(missing_ok=True)


def stored_report_rows(errors: list[dict], rows_rejected: int) -> list[list[str]]:
    """The CSV rows of an ImportRun's stored errors, with a closing note when they were capped."""
    rows = [report_row(e["row"], e["column"], e["value"], e["reason"]) for e in errors]
    if len(errors) >= STORED_ERRORS_CAP:
        note = _(
            "仅保存了前 %(cap)s 条错误（共 %(rows)s 行被拒绝）；完整报告请用命令行导入生成。"
        ) % {"cap": STORED_ERRORS_CAP, "rows": rows_rejected}
        rows.append(["", "", "", note])
    return rows
