"""The layer table of docs/architecture.md, enforced: a module imports only modules of its own layer
or of the layers listed before it. Every import counts, at the top of a module or inside a function
(the CLI and the pages import lazily), also those under ``if TYPE_CHECKING:``.

Today's upward imports are listed in ``KNOWN_VIOLATIONS``, each with the move that removes it. The
list only shrinks: a new upward import fails, and so does an entry that no longer happens (delete
it with the change that removed it).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "amip"

# (layer, module prefixes), lowest first. A prefix names a module or a package (all modules under
# it); the longest matching prefix decides. The same table is in docs/architecture.md.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("amip", "amip.format")),
    ("contract", ("amip.contract",)),
    ("warehouse", ("amip.warehouse",)),
    ("published figures", ("amip.published",)),
    ("engine", ("amip.kennzahlen",)),
    ("synthetic data", ("amip.synth",)),
    ("application state", ("amip.state", "amip.clikit")),
    ("benchmark", ("amip.bench",)),
    ("steering figures", ("amip.kennzahlen.steering",)),
    ("figures", ("amip.figures",)),
    ("forecasts", ("amip.forecast",)),
    ("comparison", ("amip.comparison",)),
    ("planning", ("amip.planning",)),
    ("worklists", ("amip.worklists",)),
    ("data quality", ("amip.dqm",)),
    ("reports", ("amip.reports",)),
    ("cockpit", ("amip.cockpit",)),
    ("entry points", ("amip.cli", "amip.api", "amip.demo", "amip.state.migrations")),
]

# (importing module, imported module): upward imports still tolerated, each with the move that
# removes it. Only shrinks. Issue 13 counted 19: the two of bench/cockpit.py went away by listing the
# benchmark after the application state; the 13 into cockpit/store.py, charts.py and glossary.py by
# moving them to amip/figures/ below the domain packages (the forecast tables of the cache became a
# cache extension amip.forecast registers); the four of state/registry.py by moving it beside the
# migrations (state/migrations/registry.py), a composition root listed with the entry points.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for rank, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = rank, len(prefix)
    assert best is not None, f"{module} is in no layer of the table"
    return best


def amip_imports(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported amip module, line) for every import in the file, wherever it stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "amip"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "amip":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"  # `from amip.figures import store` imports a module
                out.append((sub if sub in MODULES else target, node.lineno))
    return out


def upward_imports() -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for module, path in MODULES.items():
        own = layer_of(module)
        for target, line in amip_imports(module, path):
            if layer_of(target) > own:
                where = found.setdefault((module, target), [])
                if f"{path.relative_to(ROOT)}:{line}" not in where:
                    where.append(f"{path.relative_to(ROOT)}:{line}")
    return found


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_import_runs_against_the_layer_table():
    found = upward_imports()
    new = {k: v for k, v in found.items() if k not in KNOWN_VIOLATIONS}
    assert not new, "imports against the layer table (docs/architecture.md):\n" + "\n".join(
        f"  {a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]}) at {', '.join(where)}"
        for (a, b), where in sorted(new.items())
    )


def test_the_allow_list_only_holds_imports_that_still_happen():
    stale = sorted(set(KNOWN_VIOLATIONS) - set(upward_imports()))
    assert not stale, f"no longer imported, delete from KNOWN_VIOLATIONS: {stale}"


def test_the_import_finder_sees_imports_inside_functions(tmp_path):
    """The checker itself: lazy and relative imports are found like top-level ones."""
    path = tmp_path / "lazy.py"
    path.write_text(
        "import amip.format\n\n"
        "def page():\n    from amip.figures import store\n    from ..planning import plans\n"
        "    if True:\n        import amip.dqm.run as r\n",
        encoding="utf-8",
    )
    found = {t for t, _line in amip_imports("amip.reports.lazy", path)}
    assert found == {"amip.format", "amip.figures.store", "amip.planning.plans", "amip.dqm.run"}


def test_docs_architecture_shows_the_same_table():
    """docs/architecture.md lists the layers in this order, with these modules, entry points last."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (?!layer |---)([^|]+?) \| ([^|]+) \|", text, flags=re.M)
    assert [name for name, _ in rows] == [name for name, _ in LAYERS]
    for (name, cell), (_, prefixes) in zip(rows, LAYERS, strict=True):
        shown = {_module_of_path(p) for p in re.findall(r"`([^`]+)`", cell)}
        for prefix in prefixes:
            assert any(s == prefix or s.startswith(prefix + ".") for s in shown), (
                f"docs/architecture.md, layer {name}: {prefix} is not listed"
            )


def _module_of_path(text: str) -> str:
    """`kennzahlen/` -> amip.kennzahlen, `cli.py` -> amip.cli, `__init__.py` -> amip."""
    text = text.strip().rstrip("/")
    if text.endswith(".py"):
        text = text[:-3]
    if text in ("__init__", ""):
        return "amip"
    return "amip." + text.replace("/", ".")
