import pytest

from tests.imports.helpers import write_csv


@pytest.fixture
def csv_file(tmp_path):
    """csv_file(kind, *rows, encoding=..., name=..., header=...) -> the Path written."""

    def write(kind, *rows, name=None, **kwargs):
        return write_csv(tmp_path / (name or f"{kind}.csv"), kind, *rows, **kwargs)

    return write


@pytest.fixture(params=["python", pytest.param("sql", marks=pytest.mark.postgres)])
def order_import_path(request, monkeypatch):
    """Run an order test twice: through the Python path (the reference, and SQLite's) and, on
    Postgres, through the set-based SQL path; both must give the same result."""
    from members.imports.orders import OrderImporter

    monkeypatch.setattr(OrderImporter, "set_based_on_postgres", request.param == "sql")
    return request.param
