"""Small-number suppression (amip.disclosure, docs/security.md, "Small numbers and DQM tasks") and the DQM task owner.

Job center J1, coverage 2020-01 .. 2022-12, Bezugsmonat 2022-12; every person in receipt from
2020-01-01 without end (so the ELB stock is the same at ST(2021-12) and ST(2022-12)):

  team  office        persons                         caseworker
  TA    Herzberg      a1 a2 a3 a4 a5 (5)              a1: cA1 until 2022-06-30, cA2 from 2022-07-01;
                                                      a2..a5: cA2
  TB    Herzberg      b1 b2 (2: the team of two)      cB
  TC    Finsterwalde  c1 c2 c3 (3)                    cC

K1E2 (change of the ELB stock against the previous year) by hand: numerator = stock ST(2022-12),
denominator = stock ST(2021-12), value = (num - den) / den * 100 = 0 for every unit:
  teams:   TA 5/5, TB 2/2, TC 3/3;   offices: Herzberg 7/7, Finsterwalde 3/3;   J1 10/10.
Suppressed for a role that may not see the persons: TB (2 < 3, primary) and, as TB is the only
primary cell of the team breakdown, the next-smallest team TC (3, secondary: else TB = 10 - 5 - 3);
their values are derived, so `*` too. The offices show 7 and 3: a count of 3 is shown.

DQM: a1's change of 2022-03-15 was recorded on 2022-06-16 (more than 3 months: DQ01, anchor in
March, when a1 was with cA1). The task belongs to the current caseload at the data's last day
(2022-12-31): cA2, not cA1.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from amip import disclosure as dc
from amip.cockpit.app import create_app
from amip.cockpit.settings import Settings
from amip.dqm.run import evaluate, run_all
from amip.state.db import open_state
from amip.state.users import add_user
from builder import DataSet, import_into
from cockpit_fixture import PASSWORD, login

USERS = [
    ("gf", "geschaeftsfuehrung", None, None),
    ("co", "controlling", None, None),
    ("tlb", "teamleitung", "TB", None),
    ("tla", "teamleitung", "TA", None),
    ("ifka1", "ifk", None, "cA1"),
    ("ifka2", "ifk", None, "cA2"),
    ("adm", "admin", None, None),
]
Q = "jc=J1&month=2022-12"


def dataset() -> DataSet:
    ds = DataSet("2020-01", "2022-12")
    people = [
        ("a1", "TA", "Herzberg"),
        ("a2", "TA", "Herzberg"),
        ("a3", "TA", "Herzberg"),
        ("a4", "TA", "Herzberg"),
        ("a5", "TA", "Herzberg"),
        ("b1", "TB", "Herzberg"),
        ("b2", "TB", "Herzberg"),
        ("c1", "TC", "Finsterwalde"),
        ("c2", "TC", "Finsterwalde"),
        ("c3", "TC", "Finsterwalde"),
    ]
    for pid, team, office in people:
        ds.person(pid, "w", "1980-01-01").spell(pid, "J1", "2020-01-01")
        ds.prognosis(pid, "2020-01-01", "marktnah", True)
        cw = {"TA": "cA2", "TB": "cB", "TC": "cC"}[team]
        if pid == "a1":
            ds.caseload(pid, "cA1", team, office, "2020-01-01", "2022-06-30")
            ds.caseload(pid, "cA2", team, office, "2022-07-01")
        else:
            ds.caseload(pid, cw, team, office, "2020-01-01")
    ds.case_event("a1", "aenderung", "2022-03-15", "2022-06-16")
    return ds


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("disclosure")
    warehouse = import_into(dataset(), tmp)
    url = f"sqlite:///{tmp / 'state.sqlite'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("AMIP_STATE_DB", url)
    factory = open_state(url=url)
    with factory.begin() as db:
        for name, role, team, cw in USERS:
            add_user(db, name, role, PASSWORD, team_id=team, caseworker_id=cw)
    run_all(warehouse, factory, send_mail=False)
    application = create_app(Settings.from_env(warehouse))
    with TestClient(application):
        yield application, warehouse
    factory.kw["bind"].dispose()
    mp.undo()


def _as(application, name: str) -> TestClient:
    c = TestClient(application)
    assert login(c, name).status_code == 303
    return c


def _csv(client, url: str) -> list[list[str]]:
    r = client.get(url)
    assert r.status_code == 200, r.text
    return [ln.split(";") for ln in r.content.decode("utf-8-sig").splitlines()]


def _units_csv(client, kind: str) -> dict[str, list[str]]:
    rows = _csv(client, f"/kennzahl/K1E2/einheiten.csv?{Q}&kind={kind}")
    assert rows[0] == [{"team": "Team", "office": "Geschäftsstelle"}[kind], "Zähler", "Nenner", "Wert (%)"]
    return {r[0]: r[1:] for r in rows[1:]}


# ---- the rule itself --------------------------------------------------------------------------


def test_rule_primary_derived_secondary_and_zero():
    rows = [
        {"unit": "A", "n": 5, "d": 10, "r": 50.0},
        {"unit": "B", "n": 2, "d": 4, "r": 50.0},
        {"unit": "C", "n": 3, "d": 9, "r": 100 / 3},
        {"unit": "D", "n": 0, "d": 7, "r": 0.0},
    ]
    out = dc.suppress_rows(rows, dc.SUPPRESS, ("n", "d"), {"r": ("n", "d")}, unit="unit", kind="team")
    # n: B (2) primary; secondary: the smallest positive other count, C (3), not the 0 of D
    assert [r["n"] for r in out] == [5, dc.SUPPRESSED, dc.SUPPRESSED, 0]
    # d: nothing below 3
    assert [r["d"] for r in out] == [10, 4, 9, 7]
    assert [dc.is_suppressed(r["r"]) for r in out] == [False, True, True, False]
    # a mean stock of 1,5 is a small count as well; 0 is shown
    assert dc.small(1.5) and dc.small(1) and dc.small(2) and not dc.small(0) and not dc.small(3)
    assert not dc.small(None) and not dc.small(float("nan"))
    # two primary cells: only their sum (at least 2, in two units) can be derived; nothing more hidden
    two = dc.suppress_rows([{"n": 1}, {"n": 2}, {"n": 9}], dc.SUPPRESS, ("n",))
    assert [r["n"] for r in two] == [dc.SUPPRESSED, dc.SUPPRESSED, 9]
    # the viewer's own unit is exempt and never chosen as the secondary cell
    tl = dc.Policy(True, {"team": frozenset({"A"})})
    own = dc.suppress_rows(
        [{"unit": "A", "n": 4}, {"unit": "B", "n": 1}, {"unit": "C", "n": 6}], tl, ("n",), unit="unit", kind="team"
    )
    assert [r["n"] for r in own] == [4, dc.SUPPRESSED, dc.SUPPRESSED]
    assert dc.suppress_rows(rows, dc.SHOW_ALL, ("n", "d"), {"r": ("n", "d")}) == rows
    assert dc.api_value(dc.SUPPRESSED) is None and dc.api_value(float("nan")) is None and dc.api_value(2) == 2.0


def test_grid_rule_closes_the_way_over_the_other_sex():
    # team X: 5 = 2 women + 3 men; team Y: 10 = 4 + 6; job center 15 = 6 + 9. Hiding only X's women
    # leaves X women = X total - X men; the grid rule hides X's men too, and then Y's women and men
    # (else X women = job center women - Y women). The totals stay.
    sexes = ("all", "w", "m", "d")
    grid = {"X": (5, 2, 3, 0), "Y": (10, 4, 6, 0), "J": (15, 6, 9, 0)}
    cells = {(u, s): v for u, vs in grid.items() for s, v in zip(sexes, vs)}
    lines = [[(u, s) for s in sexes] for u in grid] + [[(u, s) for u in grid] for s in sexes]
    hidden = dc.suppress_cells(cells, lines, dc.SUPPRESS, fixed={("J", s) for s in sexes})
    assert hidden == {("X", "w"), ("X", "m"), ("Y", "w"), ("Y", "m")}
    assert dc.suppress_cells(cells, lines, dc.SHOW_ALL) == set()


# ---- pages, downloads and API ------------------------------------------------------------------


def test_geschaeftsfuehrung_sees_stars_for_the_team_of_two(cockpit):
    application, _ = cockpit
    gf = _as(application, "gf")
    teams = _units_csv(gf, "team")
    assert teams["TA"] == ["5", "5", "0,0"]  # the value rounded as shown (one decimal)
    assert teams["TB"] == ["*", "*", "*"]  # the team of two and its rate
    assert teams["TC"] == ["*", "*", "*"]  # secondary: else TB = 10 - 5 - 3
    offices = _units_csv(gf, "office")
    assert offices["Herzberg"] == ["7", "7", "0,0"] and offices["Finsterwalde"] == ["3", "3", "0,0"]  # 3 is shown

    x = gf.get(f"/kennzahl/K1E2/einheiten.xlsx?{Q}&kind=team")
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    cells = {row[0]: row[1:] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert cells["TB"] == ("*", "*", "*") and cells["TC"] == ("*", "*", "*") and cells["TA"] == (5, 5, 0)

    page = gf.get(f"/kennzahl/K1E2/einheiten?{Q}&kind=team").text
    assert '<td class="count">*</td>' in page and '<td class="percent">*</td>' in page
    assert dc.NOTE in page

    api = {r["unit"]: r for r in gf.get(f"/api/figures/K1E2/units?{Q}&kind=team").json()}
    assert api["TB"] == {"unit": "TB", "numerator": None, "denominator": None, "value": None, "suppressed": True}
    assert api["TC"]["suppressed"] is True and api["TC"]["numerator"] is None
    assert api["TA"] == {"unit": "TA", "numerator": 5.0, "denominator": 5.0, "value": 0.0, "suppressed": False}
    # the job center's total (10) is shown
    total = [r for r in gf.get("/api/figures?figure=K1E2&jc=J1&from=2022-12&to=2022-12").json()]
    assert total[0]["numerator"] == 10 and total[0]["suppressed"] is False


def test_controlling_sees_every_number(cockpit):
    application, _ = cockpit
    co = _as(application, "co")
    teams = _units_csv(co, "team")
    assert teams == {"TA": ["5", "5", "0,0"], "TB": ["2", "2", "0,0"], "TC": ["3", "3", "0,0"]}
    api = {r["unit"]: r for r in co.get(f"/api/figures/K1E2/units?{Q}&kind=team").json()}
    assert api["TB"] == {"unit": "TB", "numerator": 2.0, "denominator": 2.0, "value": 0.0, "suppressed": False}
    page = co.get(f"/kennzahl/K1E2/einheiten?{Q}&kind=team").text
    assert dc.NOTE not in page and '<td class="count">*</td>' not in page


def test_team_lead_sees_the_own_team_only(cockpit):
    application, _ = cockpit
    # TB's own lead sees TB; TC is then the only... nothing primary outside TB, so nothing hidden
    assert _units_csv(_as(application, "tlb"), "team") == {
        "TA": ["5", "5", "0,0"],
        "TB": ["2", "2", "0,0"],
        "TC": ["3", "3", "0,0"],
    }
    # the lead of TA sees TB suppressed and TC as its secondary partner
    tla = _units_csv(_as(application, "tla"), "team")
    assert tla["TA"] == ["5", "5", "0,0"] and tla["TB"] == ["*", "*", "*"] and tla["TC"] == ["*", "*", "*"]
    # an IFK's caseload is no unit of the breakdown: suppressed like the Geschäftsführung
    assert _units_csv(_as(application, "ifka2"), "team")["TB"] == ["*", "*", "*"]


def test_kennzahl_page_shows_counts_of_three_and_more(cockpit):
    application, _ = cockpit
    # the page's default breakdown is by office: Herzberg 7, Finsterwalde 3, nothing below 3
    page = _as(application, "gf").get(f"/kennzahl/K1E2?{Q}").text
    assert '<td class="count">3</td>' in page and '<td class="count">7</td>' in page  # whole counts, no ",0"
    assert dc.NOTE not in page
    # a job center total of 1 or 2 is suppressed as well (primary and derived rule, no siblings)
    one = dc.suppress_value({"numerator": 1, "denominator": 41 / 12, "value": 29.3}, dc.SUPPRESS)
    assert one == {"numerator": dc.SUPPRESSED, "denominator": 41 / 12, "value": dc.SUPPRESSED}


def test_dqm_rates_per_team_are_suppressed(cockpit):
    application, _ = cockpit
    # ST(2022-03): TA 5, TB 2, TC 3; DQ01 finds a1 (TA) in March: TA 1 of 5
    gf_rows = {(r[2], r[3]): r[4:] for r in _csv(_as(application, "gf"), "/datenqualitaet.csv?rule=DQ01")[1:]}
    co_rows = {(r[2], r[3]): r[4:] for r in _csv(_as(application, "co"), "/datenqualitaet.csv?rule=DQ01")[1:]}
    assert co_rows[("TA", "03/2022")] == ["1", "5", "20,00"] and co_rows[("TB", "03/2022")] == ["0", "2", "0,00"]
    # findings: TA 1 is the only small one -> the next-smallest positive... none (TB, TC have 0): the
    # smallest shown count, a 0, is hidden too; stock: TB 2 -> secondary TC 3
    assert gf_rows[("TA", "03/2022")] == ["*", "5", "*"]
    assert gf_rows[("TB", "03/2022")] == ["*", "*", "*"]
    assert gf_rows[("TC", "03/2022")] == ["0", "*", "*"]


# ---- DQM task owner ----------------------------------------------------------------------------


def test_dqm_task_belongs_to_the_current_caseload(cockpit):
    application, warehouse = cockpit
    ev = evaluate(warehouse)
    owner = {(r, p): (cw, team) for r, p, _a, _m, _d, cw, team in ev.findings}
    assert owner[("DQ01", "a1")] == ("cA2", "TA")  # the finding is of March, when a1 was with cA1
    new = _as(application, "ifka2").get("/aufgaben").text
    old = _as(application, "ifka1").get("/aufgaben").text
    assert "<td>a1</td>" in new and "DQ01" in new
    assert "<td>a1</td>" not in old


def test_target_groups_per_team_are_suppressed(cockpit):
    application, _ = cockpit
    header, *rows = _csv(_as(application, "gf"), f"/zielgruppen/tabelle.csv?{Q}&teams=1")
    assert header[:4] == ["Team", "Zielgruppe", "Bestand ELB", "Integrationen (12 Monate)"]
    alle = {r[0]: r for r in rows if r[1] == "alle ELB"}
    # Bestand TA 5, TB 2 (primary), TC 3 (secondary); no integrations (0 is shown); the quota and the
    # share in measures of TB and TC come from suppressed counts
    assert alle["TA"][2:] == ["5", "0", "5", "0,0", "0", "0,0"]  # rates rounded as shown
    assert alle["TB"][2:] == ["*", "0", "*", "*", "0", "*"]
    assert alle["TC"][2:] == ["*", "0", "*", "*", "0", "*"]
    co = {
        r[0]: r for r in _csv(_as(application, "co"), f"/zielgruppen/tabelle.csv?{Q}&teams=1")[1:] if r[1] == "alle ELB"
    }
    assert co["TB"][2:] == ["2", "0", "2", "0,0", "0", "0,0"]
    page = _as(application, "gf").get(f"/zielgruppen?{Q}").text
    assert dc.NOTE in page


def test_team_tracking_hides_the_actual_of_the_team_of_two(cockpit):
    application, warehouse = cockpit
    from amip.planning import plans

    factory = open_state(url=f"sqlite:///{warehouse.parent / 'state.sqlite'}")
    with factory.begin() as db:
        plans.save_plan(db, 2022, "J1", "TB", {"all": {"integrations": 1, "elb_jdw": 2, "lzb_jdw": 2}}, "co")
    factory.kw["bind"].dispose()
    url = "/zielnachhaltung.csv?jc=J1&month=2022-12&team=TB"

    def ist(name):
        header, *rows = _csv(_as(application, name), url)
        col = header.index("Ist")
        return {r[0]: r[col] for r in rows if r[1] == "Insgesamt"}

    # TB: mean stock since January 2; b1 and b2 in receipt since 2020-01-01 are LZB (638 days) from
    # 09/2021 on, so the LZB mean since January is 2; no integration
    assert ist("co") == {
        "Integrationen seit Januar": "0",
        "ELB, Ø seit Januar": "2",
        "Quote (K2, 12 Monate)": "0",
        "LZB (Jahresdurchschnitt bis zum Monat)": "2",
    }
    assert ist("gf") == {
        "Integrationen seit Januar": "0",
        "ELB, Ø seit Januar": "*",
        "Quote (K2, 12 Monate)": "*",
        "LZB (Jahresdurchschnitt bis zum Monat)": "*",
    }
    assert ist("tlb") == ist("co")  # the team's own lead
    assert _as(application, "gf").get("/zielnachhaltung?jc=J1&month=2022-12&team=TB").status_code == 200


def test_cohort_numbers_and_shares_resting_on_one_or_two_persons():
    from amip.cockpit.pages.intensive_care import suppress_cohorts

    cohorts = [
        # 2 places: every number of the cohort rests on 2 persons
        {
            "cohort": "2022-03",
            "places": 2,
            "evaluable": True,
            "taken": 2,
            "matched": 2,
            "comparison": 40,
            "integrated_taken": 50.0,
            "lzb_avoided_taken": 100.0,
            "integrated_matched": 50.0,
            "integrated_comparison": 10.0,
            "lzb_avoided_matched": 100.0,
            "lzb_avoided_comparison": 60.0,
        },
        # 10 places, 1 of 10 integrated (10 %): the integration shares name one person; LZB avoided
        # by 5 of 10 is shown, the comparison (40 persons) too
        {
            "cohort": "2022-06",
            "places": 10,
            "evaluable": True,
            "taken": 10,
            "matched": 10,
            "comparison": 40,
            "integrated_taken": 10.0,
            "lzb_avoided_taken": 50.0,
            "integrated_matched": 10.0,
            "integrated_comparison": 12.5,
            "lzb_avoided_matched": 50.0,
            "lzb_avoided_comparison": 55.0,
        },
        # 9 of 10 integrated: the one not integrated is a person too
        {
            "cohort": "2022-09",
            "places": 10,
            "evaluable": True,
            "taken": 10,
            "matched": 10,
            "comparison": 40,
            "integrated_taken": 90.0,
            "lzb_avoided_taken": 50.0,
            "integrated_matched": 90.0,
            "integrated_comparison": 12.5,
            "lzb_avoided_matched": 50.0,
            "lzb_avoided_comparison": 55.0,
        },
    ]
    a, b, c = suppress_cohorts(cohorts, dc.SUPPRESS, team=None)
    assert a["places"] == a["matched"] == a["integrated_matched"] == a["lzb_avoided_taken"] == dc.SUPPRESSED
    assert a["comparison"] == 40 and a["integrated_comparison"] == 10.0
    assert b["places"] == 10 and b["integrated_taken"] == b["integrated_matched"] == dc.SUPPRESSED
    assert b["lzb_avoided_matched"] == 50.0 and b["integrated_comparison"] == 12.5
    assert c["integrated_taken"] == dc.SUPPRESSED and c["lzb_avoided_taken"] == 50.0
    # controlling and the team's own lead see the numbers
    assert suppress_cohorts(cohorts, dc.SHOW_ALL, team=None) == cohorts
    assert suppress_cohorts(cohorts, dc.Policy(True, {"team": frozenset({"TB"})}), team="TB") == cohorts
