"""Accessibility (BITV 2.0 / WCAG 2.1 AA) and small screens, in a real browser: for every role (the
administration included) and at 1440 and 390 px width, every page the role can open is checked with
axe-core (tags wcag2a, wcag2aa, wcag21a, wcag21aa; no rule switched off) and, at 390 px, for
sideways scrolling (``document.scrollingElement.scrollWidth <= innerWidth``). A screenshot of every
page goes to ``test-artifacts/screenshots/a11y/<role>-<width>-<page>.jpg`` (the window's part).

Which pages: the crawl starts at the role's start page and follows every link of the page (menu and
content, so the detail pages too: a figure, the persons behind it, a place in intensive care, …),
one page per route of the app (the first link to it); downloads (``download`` attribute or a
``.{fmt}`` route), the API and log-out are left out. Then every page route of the app's route table
without path parameters that the crawl did not reach is opened directly: if the role may open it
(200, a full page), it is checked as well. So a page added later is covered without touching this
file. Plus the error page (a figure that does not exist, 404 inside the page frame) and, once, the
log-in page.

Data: the hand-made job center of ``test_intensive_care`` (candidates for the IFK ``ifk``), with a
plan for 2023 (``amip plan set``), the data-quality run (``amip dqm run``) and one customer taken
into intensive care by the IFK, so that the planning, task and place pages have content.

axe-core comes from ``tests/js`` (pinned in ``package-lock.json``; ``scripts/setup.sh --dev`` runs
``npm ci`` there); it is added to every document as an init script (the page's CSP stays on).
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from amip.cli import app as cli
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from browser_kit import SCREENSHOTS, chromium, serving
from builder import runner
from cockpit_fixture import PASSWORD, add_users
from test_intensive_care import dataset

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ("gf", "co", "tl", "ifk", "adm")  # Geschäftsführung, Controlling, Teamleitung, Integrationsfachkraft, Admin
MIN_PAGES = {"adm": 3}  # the administration: users, audit log, own account (others: at least 5)
WIDTHS = (1440, 390)
HEIGHT = {1440: 900, 390: 844}
SHOTS = SCREENSHOTS / "a11y"
# The suite keeps what the window shows, as JPEG: a full-page PNG of a long page costs Chromium far
# more (encoding megapixels) and the crawl takes about 300 of them. scripts/demo_tour.py, run by a
# person who looks at them, takes full pages (demo_tour.tour(full_page=True)).
FULL_PAGE_SHOTS = False
SKIP_PREFIXES = ("/api/", "/static/", "/logout", "/openapi.json", "/login")
MAX_PAGES = 60  # a safety net against a crawl that never ends (e.g. a link that adds a counter)


# ---- the app's page routes ------------------------------------------------------------------------


def page_routes(application) -> list:
    """Every GET route of the app (routers included), as Starlette route objects."""
    found = []

    def walk(routes):
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif "GET" in (getattr(r, "methods", None) or ()):
                found.append(r)

    walk(application.routes)
    return found


def is_download(template: str) -> bool:
    return "{fmt}" in template or bool(re.search(r"\.(csv|xlsx|pdf|html|json)$", template))


def template_of(routes, path: str) -> str | None:
    for r in routes:
        if r.path_regex.match(path):
            return r.path
    return None


# ---- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not AXE.exists():
        pytest.fail(f"axe-core missing ({AXE}): scripts/setup.sh --dev installs it (npm ci in tests/js)")
    tmp = tmp_path_factory.mktemp("browser_a11y")
    data = dataset().write(tmp / "data")
    db = tmp / "amip.duckdb"
    for args in (
        ["import", str(data), "--db", str(db)],
        ["plan", "set", "--year", "2023", "--sex", "all", "--integrations", "5", "--elb", "15", "--lzb", "10"],
        ["dqm", "run"],
    ):
        if args[0] != "import":
            args += ["--db", str(db)]
        res = runner.invoke(cli, args)
        assert res.exit_code == 0, (args, res.output)
    add_users(db)
    application = create_app(dataclasses.replace(Settings.from_env(db), today="2023-01-31"))
    with serving(application) as url:
        yield url, application


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def role_pages(browser, server):
    """One logged-in browser page per role (one context each), made on first use."""
    url, _app = server
    made: dict[str, object] = {}
    contexts = []

    def get(name: str):
        if name not in made:
            ctx = browser.new_context(base_url=url, locale="de-DE", viewport={"width": 1440, "height": 900})
            ctx.set_default_timeout(30_000)  # a log-in hashes the password: slow on a busy machine
            ctx.add_init_script(path=str(AXE))
            contexts.append(ctx)
            page = ctx.new_page()
            page.goto("/login")
            page.fill("#username", name)
            page.fill("#password", PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Anmelden").click()
            assert "/login" not in page.url, f"log-in of {name} failed"
            if name == "ifk":  # a place in intensive care, so that its page exists
                page.goto("/intensivbetreuung")
                with page.expect_navigation():
                    page.locator("#kandidaten tbody tr").first.get_by_role(
                        "button", name=re.compile("Aufnehmen")
                    ).click()
                assert "/intensivbetreuung/platz/" in page.url
            made[name] = page
        return made[name]

    yield get
    for ctx in contexts:
        ctx.close()


# ---- checks ---------------------------------------------------------------------------------------


def axe_violations(page) -> list[str]:
    """axe-core's violations on the current document, one line per node: rule, impact, target."""
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    lines = []
    for v in result["violations"]:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {json.dumps(node['target'])} – {v['help']}")
    return lines


def sideways(page) -> int:
    """How many pixels the document is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


WIDEST = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const pos = getComputedStyle(el).position;  // absolute boxes escape a scroll box they are not positioned in
    if (el.closest('.table-wrap') && pos !== 'absolute' && pos !== 'fixed') continue;
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 0.5 && r.width > 0) {
      const kids = [...el.children].some(k => k.getBoundingClientRect().right > window.innerWidth + 0.5);
      if (!kids) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/ +/).join('.') : '') +
        ' (right ' + Math.round(r.right) + ')');
    }
  }
  return out.slice(0, 5);
}"""


def slug(path_and_query: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", path_and_query).strip("_")
    return (s or "start")[:80]


def links_of(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.href)")
    out = []
    for h in hrefs:
        parts = urlsplit(h)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def check_page(page, label: str, width: int, problems: list[str]) -> None:
    for line in axe_violations(page):
        problems.append(f"{label} @ {width} px: {line}")
    if width < 1000:
        over = sideways(page)
        if over > 0:
            widest = ", ".join(page.evaluate(WIDEST))
            problems.append(f"{label} @ {width} px: scrolls sideways by {over} px; too wide: {widest}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"{label.split(' ')[0]}-{width}-{slug(label.split(' ', 1)[1])}"
    if FULL_PAGE_SHOTS:
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    else:
        page.screenshot(path=str(SHOTS / f"{name}.jpg"), type="jpeg", quality=70)


def visit_all(page, name: str, width: int, url: str, application) -> tuple[list[str], list[str]]:
    """Crawl the role's pages as described in the module docstring; returns (pages, problems)."""
    routes = page_routes(application)
    seen_keys: set[str] = set()
    visited: list[str] = []
    problems: list[str] = []
    queue = ["/"]
    queued = {"/"}
    while queue and len(visited) < MAX_PAGES:
        target = queue.pop(0)
        path = urlsplit(target).path
        template = template_of(routes, path)
        key = template or path
        if key in seen_keys:
            continue
        response = page.goto(target)
        assert response is not None
        landed = urlsplit(page.url)
        if response.status != 200 or landed.path.startswith("/login"):
            continue
        seen_keys.add(key)
        landed_key = template_of(routes, landed.path) or landed.path
        if landed_key != key and landed_key in seen_keys:
            continue  # a redirect to a page already checked (e.g. / to the role's start page)
        seen_keys.add(landed_key)
        here = landed.path + (f"?{landed.query}" if landed.query else "")
        visited.append(here)
        check_page(page, f"{name} {here}", width, problems)
        for link in links_of(page, url):
            p = urlsplit(link).path
            t = template_of(routes, p)
            if link in queued or p.startswith(SKIP_PREFIXES) or (t and is_download(t)):
                continue
            queued.add(link)
            queue.append(link)
    reached = seen_keys
    for r in routes:  # pages of the route table the links did not lead to
        t = r.path
        if "{" in t or t in reached or t.startswith(SKIP_PREFIXES) or is_download(t):
            continue
        response = page.goto(t)
        if response is None or response.status != 200 or urlsplit(page.url).path.startswith("/login"):
            continue
        if "text/html" not in response.headers.get("content-type", "") or page.locator("main").count() == 0:
            continue  # a fragment for HTMX, checked inside the page that loads it
        visited.append(t)
        check_page(page, f"{name} {t}", width, problems)
    # the error page, inside the page frame
    response = page.goto("/kennzahl/X9")
    assert response is not None and response.status in (403, 404)  # 403 for a role without figures
    check_page(page, f"{name} /kennzahl/X9 (Fehlerseite)", width, problems)
    return visited, problems


def toggle_problems(page) -> list[str]:
    """The office/team toggle of a figure: aria-pressed follows the click (the HTMX answer sends
    the buttons again), and the team breakdown it loads passes axe too."""
    page.goto("/kennzahl/K2")
    tabs = page.get_by_role("group", name="Aufschlüsselung")
    office, team = tabs.get_by_role("button", name="Geschäftsstelle"), tabs.get_by_role("button", name="Team")
    assert (office.get_attribute("aria-pressed"), team.get_attribute("aria-pressed")) == ("true", "false")
    team.click()
    page.wait_for_function(
        "() => document.querySelector('#unit-tabs button[aria-pressed=true]')?.textContent.trim() === 'Team'"
    )
    assert office.get_attribute("aria-pressed") == "false"
    assert "Team" in page.locator("#units th").first.inner_text()
    return [f"co /kennzahl/K2 (Team) @ 1440 px: {line}" for line in axe_violations(page)]


def check_take_button(page, width: int) -> None:
    """The IFK's "Aufnehmen" names the candidate (pseudonym only) and is on screen at any width."""
    page.goto("/intensivbetreuung")
    button = page.get_by_role("button", name="Aufnehmen: Pseudonym a612")  # b637 was taken by the set-up
    box = button.bounding_box()  # without scrolling the table: x as the page first shows it
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)


# ---- the tests: one per role and width ------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ROLES)
def test_every_page_of_the_role_passes_axe_and_fits_the_width(role_pages, server, browser, name, width):
    url, application = server
    page = role_pages(name)
    page.set_viewport_size({"width": width, "height": HEIGHT[width]})
    problems: list[str] = []
    if name == ROLES[0]:  # the log-in page, once per width, without a session
        ctx = browser.new_context(base_url=url, locale="de-DE", viewport={"width": width, "height": HEIGHT[width]})
        ctx.add_init_script(path=str(AXE))
        anon = ctx.new_page()
        anon.goto("/login")
        check_page(anon, "anonym /login", width, problems)
        ctx.close()
    visited, found = visit_all(page, name, width, url, application)
    problems += found
    if name == "co" and width == WIDTHS[0]:
        problems += toggle_problems(page)
    if name == "ifk":
        check_take_button(page, width)
    print(f"{name} @ {width} px: {len(visited)} pages: {', '.join(visited)}")
    assert len(visited) >= MIN_PAGES.get(name, 5), visited  # the crawl reached the role's pages
    assert not problems, "\n".join(problems)
