"""text/ is the bottom layer: the standard library and itself, nothing else."""

import ast
import sys
from pathlib import Path

import pytest

TEXT = Path(__file__).resolve().parents[2] / "text"


@pytest.mark.unit
def test_text_imports_only_the_standard_library_and_itself() -> None:
    for path in TEXT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: relative import"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top == "text" or top in sys.stdlib_module_names, f"{path.name}: {name}"
