"""Walk through the demo's cockpit in Chromium as every role, at 1440 and 390 px: every page the
role can open (the crawl of tests/test_browser_a11y.py), axe-core (WCAG 2.1 AA tags), sideways
scrolling at 390 px, and a screenshot of each page in test-artifacts/screenshots/demo/.

    .venv/bin/python scripts/demo_tour.py [DEMO_DIR]     (default .amip/demo, made by `amip demo`)

Writes test-artifacts/demo-tour.md (pages per role and width, and every problem found) and exits
with 1 if axe or the width check found anything. The demo's users get fresh passwords (as `amip
demo` gives them on every start). A developer's tool: the same checks run in CI on the test data
set (tests/test_browser_a11y.py); this one shows them on the demo's full-size job center."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_browser_a11y as a11y  # noqa: E402  (the crawl and the checks)
from amip.cockpit.app import create_app  # noqa: E402
from amip.cockpit.settings import Settings  # noqa: E402
from amip.demo import demo_users  # noqa: E402
from browser_kit import chromium, serving  # noqa: E402

ROLES = ("gf", "controlling", "teamleitung", "ifk")
SHOTS = ROOT / "test-artifacts" / "screenshots" / "demo"
REPORT = ROOT / "test-artifacts" / "demo-tour.md"


def main(demo_dir: Path) -> int:
    db = demo_dir / "demo.duckdb"
    if not db.exists():
        print(f"no demo warehouse at {db}: run `amip demo --no-serve --dir {demo_dir}` first", file=sys.stderr)
        return 2
    os.environ.setdefault("AMIP_TODAY", "data")  # as `amip demo` serves it
    a11y.SHOTS = SHOTS  # check_page writes its screenshots there
    application = create_app(Settings.from_env(db))
    lines = ["# Demo tour: every page per role at 1440 and 390 px (axe-core WCAG 2.1 AA, sideways scroll)", ""]
    problems: list[str] = []
    with serving(application) as url, chromium() as browser:
        users = {name: pw for name, _role, _scope, pw in demo_users(db, application.state.sessions)}
        for name in ROLES:
            for width in a11y.WIDTHS:
                ctx = browser.new_context(
                    base_url=url, locale="de-DE", viewport={"width": width, "height": a11y.HEIGHT[width]}
                )
                ctx.set_default_timeout(60_000)
                ctx.add_init_script(path=str(a11y.AXE))
                page = ctx.new_page()
                page.goto("/login")
                page.fill("#username", name)
                page.fill("#password", users[name])
                with page.expect_navigation():
                    page.get_by_role("button", name="Anmelden").click()
                visited, found = a11y.visit_all(page, name, width, url, application)
                problems += found
                lines.append(f"- **{name} @ {width} px**: {len(visited)} pages: {', '.join(visited)}")
                print(f"{name} @ {width} px: {len(visited)} pages, {len(found)} problems", flush=True)
                ctx.close()
    lines += ["", f"## Problems: {len(problems)}", "", *[f"- {p}" for p in problems]]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{REPORT}: {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".amip" / "demo"))
