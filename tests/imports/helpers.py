"""Import small CSV files the way the commands do, and read back what was reported."""

from pathlib import Path

from members.imports import IMPORTERS, import_file, report_path_for

HEADERS = {kind: ",".join(importer.columns) for kind, importer in IMPORTERS.items()}


def write_csv(path: Path, kind: str, *rows: str, encoding="utf-8", header=None) -> Path:
    lines = [HEADERS[kind] if header is None else header, *rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run_import(kind: str, path: Path, **kwargs):
    with path.open("rb") as stream:
        return import_file(
            kind, stream, file_name=path.name, report_path=report_path_for(path), **kwargs
        )


def errors(result) -> list[tuple[int, str]]:
    """(row, column) of every stored bad cell."""
    return [(error["row"], error["column"]) for error in result.run.errors]


def reasons(result) -> str:
    return "\n".join(error["reason"] for error in result.run.errors)
