"""Every setting is documented: each ``AMIP_*`` environment variable the code reads appears in
README.md or a file under docs/ (as datasette's test_docs does for its settings)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"AMIP_[A-Z][A-Z0-9_]*")


def variables_in_code() -> dict[str, str]:
    """name -> first place it occurs: every string constant in src/amip that is exactly an
    ``AMIP_*`` name. That covers ``os.environ.get("AMIP_X")`` as well as names kept in constants
    (``STATE_ENV = "AMIP_STATE_DB"``) or passed to a reading helper (``_env_int("AMIP_X", 5)``)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "amip").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.fullmatch(node.value):
                found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def documented() -> set[str]:
    files = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return {name for f in files for name in NAME.findall(f.read_text(encoding="utf-8"))}


def test_the_code_reads_environment_variables():
    """The finder itself: the state database URL is one of them."""
    assert "AMIP_STATE_DB" in variables_in_code()


def test_every_environment_variable_is_documented():
    missing = {name: where for name, where in variables_in_code().items() if name not in documented()}
    assert not missing, "AMIP_* variables read in src/amip but named nowhere in README.md or docs/: " + ", ".join(
        f"{name} ({where})" for name, where in sorted(missing.items())
    )
