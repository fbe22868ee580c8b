"""CSV imports of stores, members, orders and order lines (commands and the HQ admin upload).

    result = import_file(ImportKind.ORDERS, stream, file_name="orders.csv", actor=user)

Rules (INVARIANTS "Imports and bad input"): UTF-8 (with or without BOM) or GB18030; the header
must name exactly the expected columns (any order); every bad row is reported with its Excel row
number, column, value and a reason in Chinese; good rows are applied in chunks, one transaction
each; re-importing never duplicates (members by phone, orders by store and order number, lines by
order and product); imports never move a member to another store or guide.
"""

from pathlib import Path
from typing import BinaryIO

from members.models import ImportKind

from .base import DEFAULT_CHUNK_SIZE, Importer, ImportResult, run_import  # noqa: F401
from .members import MemberImporter
from .order_lines import OrderLineImporter
from .orders import OrderImporter
from .reading import ImportFileError
from .stores import StoreImporter

IMPORTERS: dict[str, type[Importer]] = {
    ImportKind.STORES: StoreImporter,
    ImportKind.MEMBERS: MemberImporter,
    ImportKind.ORDERS: OrderImporter,
    ImportKind.ORDER_LINES: OrderLineImporter,
}

__all__ = ["IMPORTERS", "ImportFileError", "ImportResult", "import_file", "report_path_for"]


def report_path_for(input_path: Path) -> Path:
    """Where the command writes the bad-row report: beside the input, `<input>.errors.csv`."""
    return input_path.with_name(input_path.name + ".errors.csv")


def import_file(kind: str, stream: BinaryIO, **options) -> ImportResult:
    """Import one CSV file of the given kind (options as for run_import: file_name, actor, ...).

    Raises ImportFileError when the file cannot be read at all.
    """
    return run_import(IMPORTERS[kind](), stream, **options)
