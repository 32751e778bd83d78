"""The persons behind the extended monitoring S3 - S5 in the cockpit (issue 12, item 4), on the S3
data set of tests/test_steering_v2.py (coverage 2019-01..2021-12, everyone at J1) with a caseload:

| id | sex | integration month | sustained (S3) | caseload (caseworker, team)                         |
| G  | m   | 2019-12           | yes            | c1, T1                                              |
| A  | m   | 2020-03           | yes            | c1, T1                                              |
| B  | w   | 2020-06           | no             | c2, T2                                              |
| D  | w   | 2020-06 (rule b)  | yes            | c1, T1 until 2020-05-31, then c2, T2                |
| C  | m   | 2020-09           | no             | c2, T2                                              |
| E  | m   | 2020-12           | no             | c2, T2                                              |
| F  | w   | 2021-01           | (outside)      | c2, T2                                              |

S3 in Bezugsmonat 2021-12 takes the integration months 2020-01..2020-12: A, B, D, C, E = 5, of
them sustained A, D = 2 (40 %). Integration month 2020-06: denominator B, D; numerator D.
An integration takes its attributes from ST(m-1) = ST(2020-05) = 2020-05-31, when D was still in
team T1 with caseworker c1: the team lead of T1 sees D (and not B), the IFK c1 sees D; the team
lead's view of the job center's totals (2 and 5 persons) follows the small-number rule
(1 or 2 persons are suppressed).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.figures.store import FigureStore, Scope
from amip.kennzahlen.calendar import month_str, parse_month
from amip.state import audit
from amip.state.db import open_state
from builder import import_into
from cockpit_fixture import add_users, login
from test_steering_v2 import s3_data, s4_data, s5_data


def data():
    ds = s3_data()
    for pid in ("G", "A"):
        ds.caseload(pid, "c1", "T1", "Herzberg", "2019-01-01")
    for pid in ("B", "C", "E", "F"):
        ds.caseload(pid, "c2", "T2", "Finsterwalde", "2019-01-01")
    ds.caseload("D", "c1", "T1", "Herzberg", "2020-05-01", "2020-05-31")
    ds.caseload("D", "c2", "T2", "Finsterwalde", "2020-06-01")
    return ds


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("monitoring_persons")
    db = import_into(data(), tmp)
    url = f"sqlite:///{tmp / 'state.sqlite'}"
    add_users(db, env={"AMIP_STATE_DB": url})
    app = create_app(Settings(warehouse=db, state_url=url))
    with TestClient(app):  # builds the cache once
        pass
    return app, url


@pytest.fixture
def as_user(cockpit):
    app, _ = cockpit
    clients = []

    def make(name):
        c = TestClient(app)
        c.__enter__()
        clients.append(c)
        assert login(c, name).status_code == 303
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def ids(html: str) -> list[str]:
    """The pseudonyms in the persons table (first cell of each body row)."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>", body, re.S)]
    return [c for c in cells if c != "Keine Einträge."]


def audit_views(url: str) -> list[tuple[str, str, int, str]]:
    with open_state(url=url).begin() as db:
        return [
            (e.user_name, e.action, e.persons, e.list_name)
            for e in reversed(audit.entries(db, limit=10_000))
            if e.action in ("view", "export_csv")
        ]


S3_INT = "/personen?jc=J1&count=ext_int&month=2020-06"
S3_NUM = "/personen?jc=J1&count=s3&month=2020-06"


def test_controlling_sees_every_person_behind_s3_of_an_integration_month(as_user, cockpit):
    co = as_user("co")
    assert ids(co.get(S3_INT).text) == ["B", "D"]
    assert ids(co.get(S3_NUM).text) == ["D"]
    # the other integration months of the window 2020-01..2020-12 of Bezugsmonat 2021-12
    assert ids(co.get("/personen?jc=J1&count=ext_int&month=2020-03").text) == ["A"]
    assert ids(co.get("/personen?jc=J1&count=s3&month=2020-12").text) == []  # E: ST(2021-12) not covered
    assert ids(co.get("/personen?jc=J1&count=ext_int&month=2020-12").text) == ["E"]
    # women only: B and D are women
    assert ids(co.get(S3_INT + "&sex=m").text) == []


def test_overview_links_s3_to_its_months_and_on_to_the_persons(as_user):
    co = as_user("co")
    html = co.get("/?jc=J1&month=2021-12").text
    assert 'href="/uebersicht/monitoring/S3?jc=J1&amp;month=2021-12"' in html
    page = co.get("/uebersicht/monitoring/S3?jc=J1&month=2021-12")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    # one row per integration month 2020-01..2020-12; the counts summed are S3's 2 of 5
    rows = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", page.text, re.S)
    cells = [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in r) for r in rows]
    counts = [(n, d) for _m, n, d in cells]
    assert len(counts) == 12, text
    assert sum(int(n) for n, _ in counts) == 2 and sum(int(d) for _, d in counts) == 5
    assert counts[2] == ("1", "1") and counts[5] == ("1", "2") and counts[11] == ("0", "1")  # März, Juni, Dez.
    assert "/personen?jc=J1&amp;count=s3&amp;month=2020-06&amp;sex=all&amp;figure=S3&amp;of=2021-12" in page.text
    assert "/personen?jc=J1&amp;count=ext_int&amp;month=2020-06" in page.text
    back = co.get(S3_NUM + "&figure=S3&of=2021-12").text
    assert 'href="/uebersicht/monitoring/S3?jc=J1&amp;sex=all&amp;month=2021-12"' in back
    # S6, the LZB annual average, leads to the LZB stock of each month (the K3 drill-down's count):
    # at ST(2021-12) everyone in receipt since 2019-01-01; D (from 2020-05-01: 610 of 730 days) is not LZB
    assert 'href="/uebersicht/monitoring/S6?jc=J1&amp;month=2021-12"' in html
    s6 = co.get("/uebersicht/monitoring/S6?jc=J1&month=2021-12").text
    assert "/personen?jc=J1&amp;count=lzb&amp;month=2021-12&amp;sex=all&amp;figure=S6&amp;of=2021-12" in s6
    assert ids(co.get("/personen?jc=J1&count=lzb&month=2021-12").text) == ["A", "B", "C", "E", "F", "G"]


def test_team_lead_sees_only_the_own_teams_persons_at_the_previous_stichtag(as_user):
    tl = as_user("tl")  # team T1
    assert ids(tl.get(S3_INT).text) == ["D"]  # D was in T1 at ST(2020-05); B never
    assert ids(tl.get(S3_NUM).text) == ["D"]
    assert ids(tl.get("/personen?jc=J1&count=ext_int&month=2020-12").text) == []  # E is in T2
    ifk = as_user("ifk")  # caseworker c1
    assert ids(ifk.get(S3_INT).text) == ["D"]
    assert ids(as_user("ifk2").get(S3_INT).text) == ["B"]  # c2: D only from 2020-06-01


def test_team_lead_gets_the_job_centers_small_numbers_suppressed_and_no_link_to_them(as_user):
    tl = as_user("tl")
    html = tl.get("/?jc=J1&month=2021-12").text
    # S3's numerator 2 (and the value made of it) is suppressed for a team lead; 5 is shown
    row = re.search(r"<tr>\s*<td[^>]*>S3</td>(.*?)</tr>", html, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    # columns after the figure: title, definition, all, w, m, numerator, denominator, data state, band
    assert cells[5] == "*" and cells[6] == "5" and cells[2] == "*"  # a whole count: no ",0"
    assert 'href="/uebersicht/monitoring/S3?jc=J1&amp;month=2021-12"' in html  # the denominator 5
    page = tl.get("/uebersicht/monitoring/S3?jc=J1&month=2021-12").text
    assert "count=s3&amp;month=2020-06" not in page  # 1 person: suppressed, no link
    assert "*" in page


def test_geschaeftsfuehrung_sees_the_figures_but_no_persons(as_user):
    gf = as_user("gf")
    html = gf.get("/?jc=J1&month=2021-12").text
    assert "Erweitertes Monitoring" in html and "/uebersicht/monitoring/S3" not in html
    page = gf.get("/uebersicht/monitoring/S3?jc=J1&month=2021-12")
    assert page.status_code == 200 and "/personen" not in page.text
    assert gf.get(S3_INT).status_code == 403
    assert gf.get(S3_NUM.replace("/personen?", "/personen.csv?")).status_code == 403


def test_each_view_of_the_persons_is_audited(as_user, cockpit):
    _, url = cockpit
    before = len(audit_views(url))
    as_user("co").get(S3_NUM)
    as_user("tl").get(S3_INT.replace("/personen?", "/personen.csv?"))
    as_user("gf").get(S3_INT)  # refused: no entry
    new = audit_views(url)[before:]
    assert new == [
        ("co", "view", 1, "Nachhaltige Integrationen 06/2020, Jobcenter J1, Insgesamt"),
        ("tl", "export_csv", 1, "Integrationen (Erweitertes Monitoring) 06/2020, Jobcenter J1, Insgesamt"),
    ]


# ---- S4 and S5 in the cache (store level, controlling's scope) ------------------------------------


def _who(store, block: str, month: str) -> list[str]:
    return store.persons("J1", block, month, Scope("all"))["person_id"].tolist()


def _sums_match_the_figures(store, figure: str, num: str, den: str, first: int, last: int, mean: bool) -> int:
    """Every Bezugsmonat's numerator and denominator of ``figure`` equal the persons behind its
    months (denominator a mean for S5); returns how many months had a value."""
    f = store.figures
    rows = f[(f.jobcenter_id == "J1") & (f.figure == figure) & (f.sex == "all") & f.numerator.notna()]
    for r in rows.itertuples():
        m = parse_month(r.month)
        months = [month_str(k) for k in range(m - first, m - last + 1)]
        n = sum(store.member_counts("J1", num, months).values())
        d = sum(store.member_counts("J1", den, months).values())
        assert n == r.numerator, (figure, r.month)
        assert (d / 12 if mean else d) == pytest.approx(r.denominator), (figure, r.month)
    return len(rows)


def test_persons_behind_s4_by_integration_month(tmp_path):
    # s4_data (tests/test_steering_v2.py): integrations A 2021-03, B 2021-02, C 2021-04, D 2021-05,
    # E 2020-09, F 2021-10; need-covering E, A, D (B stays in receipt, C is at J2 at ST(2021-06)).
    store = FigureStore.open(import_into(s4_data(), tmp_path))
    try:
        for month, ints, covering in (
            ("2021-02", ["B"], []),
            ("2021-03", ["A"], ["A"]),
            ("2021-04", ["C"], []),
            ("2021-05", ["D"], ["D"]),
            ("2020-09", ["E"], ["E"]),
            ("2021-06", [], []),
        ):
            assert _who(store, "ext_int", month) == ints, month
            assert _who(store, "s4", month) == covering, month
        assert _sums_match_the_figures(store, "S4", "s4", "ext_int", 14, 3, mean=False) > 0
    finally:
        store.close()


def test_persons_behind_s5_by_month(tmp_path):
    # s5_data: four-year LZB (Dur48 >= 1277) at the Stichtage of 2021: A, C2 all year, D Jan..Apr;
    # their integrations A 2021-06, D 2021-05 (in the set at ST(2021-04)), C2 2021-10; B and C are
    # integrated (2021-03, 2021-09) but not in the set.
    store = FigureStore.open(import_into(s5_data(), tmp_path))
    try:
        assert _who(store, "lzb48", "2021-04") == ["A", "C2", "D"]
        assert _who(store, "lzb48", "2021-05") == ["A", "C2"]
        for month, ints, four in (
            ("2021-03", ["B"], []),
            ("2021-05", ["D"], ["D"]),
            ("2021-06", ["A"], ["A"]),
            ("2021-09", ["C"], []),
            ("2021-10", ["C2"], ["C2"]),
        ):
            assert _who(store, "ext_int", month) == ints, month
            assert _who(store, "s5", month) == four, month
        assert _sums_match_the_figures(store, "S5", "s5", "lzb48", 11, 0, mean=True) > 0
    finally:
        store.close()


def test_s3_sums_match_the_figures(tmp_path):
    store = FigureStore.open(import_into(data(), tmp_path))
    try:
        assert _sums_match_the_figures(store, "S3", "s3", "ext_int", 23, 12, mean=False) > 0
    finally:
        store.close()
