"""Walk through a demo's cockpit in Chromium as every role, at 1440 and 390 px (tests/demo_tour.py:
every page with axe-core, the sideways check at 390 px and a full-page screenshot each):

    .venv/bin/python scripts/demo_tour.py [DEMO_DIR]     (default .amip/demo, made by `amip demo`)

Writes test-artifacts/demo-tour.md and test-artifacts/screenshots/demo/; exits with 1 if axe or the
width check found anything. `test_demo` runs the same tour on the demo it makes."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from demo_tour import REPORT, tour  # noqa: E402


def main(demo_dir: Path) -> int:
    db = demo_dir / "demo.duckdb"
    if not db.exists():
        print(f"no demo warehouse at {db}: run `amip demo --no-serve --dir {demo_dir}` first", file=sys.stderr)
        return 2
    _lines, problems = tour(db, full_page=True)
    print(f"{REPORT}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".amip" / "demo"))
