import pytest

from app.cli import warnings_line

pytestmark = pytest.mark.unit


def test_warnings_fit_on_one_line() -> None:
    assert warnings_line(("page 2: text layer unreadable, skipped",)) == (
        "1 warning: page 2: text layer unreadable, skipped"
    )
    many = tuple(f"page {n}: text layer unreadable, skipped" for n in range(1, 20))
    line = warnings_line(many)
    assert line.startswith("19 warnings: page 1: text layer unreadable, skipped; page 2: ")
    assert line.endswith("page 3: text layer unreadable, skipped; 16 more")
