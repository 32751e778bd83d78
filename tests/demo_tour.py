"""The demo's cockpit in Chromium as every role, at 1440 and 390 px: every page the role can open
(the crawl of ``test_browser_a11y``), axe-core with the WCAG 2.1 AA tags, sideways scrolling at
390 px, and a screenshot of each page in ``test-artifacts/screenshots/demo/``. Used by ``test_demo``
(on the demo it has just made: the window's part, as the suite's crawl) and by
``scripts/demo_tour.py`` (on any demo folder: full pages)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import test_browser_a11y as a11y
from amip import format as fmt
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.demo import demo_users
from browser_kit import SCREENSHOTS, chromium, serving

ROLES = ("gf", "controlling", "teamleitung", "ifk", "admin")  # the demo's users (amip.demo.demo_users)
SHOTS = SCREENSHOTS / "demo"
REPORT = SCREENSHOTS.parent / "demo-tour.md"


def tour(db: Path, full_page: bool = False) -> tuple[list[str], list[str]]:
    """Visit every page of every role on the demo warehouse ``db`` at both widths; returns (the
    report's lines, the problems found). The demo users get fresh passwords, as on `amip demo`.
    Screenshots: the window's part as JPEG, or (``full_page``) the whole page as PNG."""
    if not a11y.AXE.exists():
        raise FileNotFoundError(f"axe-core missing ({a11y.AXE}): scripts/setup.sh --dev installs it")
    a11y.SHOTS = SHOTS  # check_page saves its screenshots there
    a11y.FULL_PAGE_SHOTS = full_page
    settings = Settings.from_env(db)
    # as `amip demo` serves it: "today" of reminders and places is the data's Datenstand
    application = create_app(dataclasses.replace(settings, today=settings.today or fmt.TODAY_DATA))
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
                ctx.close()
    lines += ["", f"## Problems: {len(problems)}", "", *[f"- {p}" for p in problems]]
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines, problems
