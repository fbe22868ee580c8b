import pytest

from tests.imports.helpers import write_csv


@pytest.fixture
def csv_file(tmp_path):
    """csv_file(kind, *rows, encoding=..., name=..., header=...) -> the Path written."""

    def write(kind, *rows, name=None, **kwargs):
        return write_csv(tmp_path / (name or f"{kind}.csv"), kind, *rows, **kwargs)

    return write
