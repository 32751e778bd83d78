"""Intensive care (Intensivbetreuung): candidates counted by hand, places, meetings, reminders,
team status, the matched comparison, and the pages per role.

Data T = ST(2022-12) = 2022-12-31; the LZB window at T is [2021-01-01, 2022-12-31] (730 days).
Everyone is in job center J1, born 1980-01-01 unless noted; caseload c1/T1 unless noted.

  person  ELB spells                                   Dur(T)  days left to 638 if receipt goes on
  b637    2021-04-04 ..                                 637     1   (uncovered 2021-01-01..04-03 = 93 d; the 1st
                                                                     uncovered day leaves the window first) -> candidate
  c638    2021-04-03 ..                                 638     already LZB -> excluded
  a612    2021-04-29 ..                                 612     need 26 of the 118 uncovered Jan..Apr days -> 26
  g577    2021-01-01..02-28, 2021-08-01.., and an       59 + 518 = 577; need 61: the uncovered days are
          overlapping 2021-09-01..2021-12-31            2021-03-01.. (positions 60..212), the 61st is
                                                        position 59 + 61 = 120 -> 120 (window at T+120 =
                                                        [2021-05-01, 2023-04-30]: 518 + 120 = 638)
  e455    2021-10-03 ..                                 455     uncovered 275 days; need 183 -> 183 (included)
  f454    2021-10-04 ..                                 454     need 184 -> excluded (more than 183 days)
  d425    2021-11-02 ..                                 425     need 213 (about 7 months) -> excluded
  z_end   2021-04-04 .. 2022-12-30                      -       not ELB at T -> excluded
  h637    like b637, caseworker c2 (team T1)            637     1: only for c2, the team lead, controlling
  i600    2021-05-10 .., caseworker c3 (team T2)        600     uncovered 129 days; need 38 -> 38

Cohort 2022-01 (places taken on 2022-01-10; reference day R = 2021-12-31, window 2022-01-01 ..
2022-06-30): t1, t2, k1, k2 are men born 1980, marktnah, ELB from 2020-06-01 (Dur(R) = 214 + 365 =
579 days: band 550-599, LZB in 59 days: candidates at R); k3 the same but a woman; t3 a woman,
nicht_marktnah. t1 leaves receipt on 2022-02-28 with an svb job from 2022-03-01 (integrated, not
LZB at 2022-06-30); t2 stays (not integrated, LZB); k1 stays (not integrated, LZB); k2 takes an svb
job on 2022-05-01 but stays in receipt (integrated, LZB); k3 integrated (other cell, not used).
Taken t1, t2, t3; matched t1, t2 (t3 has nobody in its cell); comparison k1, k2:
integrated 1/2 = 50 % vs 1/2 = 50 %; LZB avoided 1/2 = 50 % vs 0/2 = 0 %.
"""

from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
from fastapi.testclient import TestClient

from amip.figures.store import Scope
from amip.state import audit
from amip.worklists import intensive as ic
from builder import DataSet
from cockpit_fixture import csrf_of, login

T = dt.date(2022, 12, 31)


def dataset() -> DataSet:
    ds = DataSet("2020-01", "2022-12")

    def person(pid, start, end=None, cw="c1", team="T1", sex="m", birth="1980-01-01", prog="marktnah"):
        ds.person(pid, sex, birth).spell(pid, "J1", start, end)
        ds.caseload(pid, cw, team, "Herzberg", "2020-01-01")
        ds.prognosis(pid, "2020-01-01", prog, True)

    person("b637", "2021-04-04")
    person("c638", "2021-04-03")
    person("a612", "2021-04-29")
    person("g577", "2021-01-01", "2021-02-28")
    ds.spell("g577", "J1", "2021-08-01").spell("g577", "J1", "2021-09-01", "2021-12-31")
    person("e455", "2021-10-03")
    person("f454", "2021-10-04")
    person("d425", "2021-11-02")
    person("z_end", "2021-04-04", "2022-12-30")
    person("h637", "2021-04-04", cw="c2")
    person("i600", "2021-05-10", cw="c3", team="T2")
    # the cohort of 2022-01
    person("t1", "2020-06-01", "2022-02-28")
    ds.job("t1", "svb", "2022-03-01")
    person("t2", "2020-06-01")
    person("t3", "2020-06-01", sex="w", prog="nicht_marktnah")
    person("k1", "2020-06-01")
    person("k2", "2020-06-01")
    ds.job("k2", "svb", "2022-05-01")
    person("k3", "2020-06-01", sex="w")
    ds.job("k3", "svb", "2022-04-01")
    return ds


@pytest.fixture(scope="module")
def warehouse(warehouse_factory):
    return warehouse_factory(dataset(), "intensive")


@pytest.fixture(scope="module")
def con(warehouse):
    c = duckdb.connect()
    c.execute(f"ATTACH '{warehouse}' AS w (READ_ONLY)")
    yield c
    c.close()


# ---- candidates ------------------------------------------------------------------------------------


def test_the_data_today_is_the_last_stichtag(con):
    assert ic.data_today(con) == T


def test_candidates_of_a_caseload_with_days_counted_by_hand(con):
    c = ic.candidates(con, Scope("caseload", "c1"))
    got = list(zip(c["person_id"], c["dur"], c["days_left"]))
    assert got == [("b637", 637, 1), ("a612", 612, 26), ("g577", 577, 120), ("e455", 455, 183)]
    assert c.loc[c.person_id == "b637", "lzb_date"].item() == dt.date(2023, 1, 1)
    assert c.loc[c.person_id == "g577", "lzb_date"].item() == dt.date(2023, 4, 30)


def test_profiles_agree_with_the_engine_on_who_is_lzb(con):
    p = ic.profiles(con, Scope("all"), T)
    lzb = set(p.loc[p["lzb"], "person_id"])
    # c638 (638 days) and the cohort persons still in receipt since 2020-06-01 (730 days)
    assert lzb == {"c638", "t2", "t3", "k1", "k2", "k3"}


def test_team_and_controlling_scopes(con):
    team = ic.candidates(con, Scope("team", "T1"))
    assert list(team["person_id"]) == ["b637", "h637", "a612", "g577", "e455"]
    everyone = ic.candidates(con, Scope("all"))
    assert list(everyone["person_id"]) == ["b637", "h637", "a612", "i600", "g577", "e455"]
    assert ic.candidates(con, Scope("caseload", "c2"))["person_id"].tolist() == ["h637"]


def test_tokens_are_opaque(con):
    c = ic.candidates(con, Scope("caseload", "c1"))
    for pid, token in zip(c["person_id"], c["token"]):
        assert pid not in token and len(token) == 24


# ---- places and meetings ---------------------------------------------------------------------------


def _cand(con, pid, scope=Scope("caseload", "c1")):
    c = ic.candidates(con, scope)
    return c[c.person_id == pid].iloc[0].to_dict()


def test_places_per_year_setting():
    assert ic.places_for(2022) == 5 and ic.places_for(2020) == 2 and ic.places_for(2026) == 5
    assert ic.places_for(2021) == 2  # the latest listed year before it
    assert ic.places_for(2019) == 5  # none listed: the default
    assert ic.places_for(2030, "3") == 3
    with pytest.raises(ValueError):
        ic.places_per_year("fünf")


def test_take_enforces_the_places_per_year(con, factory):
    day = dt.date(2024, 1, 31)
    with factory.begin() as db:
        p = ic.take(
            db,
            candidate=_cand(con, "b637"),
            caseworker_id="c1",
            user_name="ifk",
            role="ifk",
            today=day,
            places_spec="2",
        )
        # 2024-01-31 + 6 months = 2024-07-31, minus one day
        assert (p.start_date, p.end_date, p.status, p.team_id) == (day, dt.date(2024, 7, 30), "active", "T1")
        with pytest.raises(ic.IntensiveError, match="bereits"):
            ic.take(
                db,
                candidate=_cand(con, "b637"),
                caseworker_id="c1",
                user_name="ifk",
                role="ifk",
                today=day,
                places_spec="2",
            )
        ic.take(
            db,
            candidate=_cand(con, "a612"),
            caseworker_id="c1",
            user_name="ifk",
            role="ifk",
            today=day,
            places_spec="2",
        )
        with pytest.raises(ic.IntensiveError, match="Alle 2 Plätze für 2024"):
            ic.take(
                db,
                candidate=_cand(con, "g577"),
                caseworker_id="c1",
                user_name="ifk",
                role="ifk",
                today=day,
                places_spec="2",
            )
        # a new year gives new places
        ic.take(
            db,
            candidate=_cand(con, "g577"),
            caseworker_id="c1",
            user_name="ifk",
            role="ifk",
            today=dt.date(2025, 1, 2),
            places_spec="2",
        )
        assert ic.taken_in_year(db, "c1", 2024) == 2
        entries = audit.entries(db, action="intensive_take")
        assert len(entries) == 3
        assert all("b637" not in (e.detail or "") and e.persons == 1 for e in entries)


def test_meetings_due_and_overdue_by_hand(con, factory):
    with factory.begin() as db:
        p = ic.take(
            db,
            candidate=_cand(con, "b637"),
            caseworker_id="c1",
            user_name="ifk",
            role="ifk",
            today=dt.date(2024, 1, 31),
        )
        # the first meeting is due on the day of taking; overdue after 7 more days
        assert ic.reminder(p, dt.date(2024, 1, 31)).state == "faellig"
        assert ic.reminder(p, dt.date(2024, 2, 7)).state == "faellig"
        assert ic.reminder(p, dt.date(2024, 2, 8)).state == "ueberfaellig"
        ic.record_meeting(
            db,
            p,
            date=dt.date(2024, 2, 5),
            situation="Lage",
            agreed_steps="Bewerbungen schreiben",
            review_of_previous=None,
            user_name="ifk",
            role="ifk",
        )
        # next due a calendar month later: 2024-03-05
        r = ic.reminder(p, dt.date(2024, 2, 20))
        assert (r.due, r.state) == (dt.date(2024, 3, 5), "geplant")
        assert ic.reminder(p, dt.date(2024, 2, 27)).state == "bald"  # 7 days before
        assert ic.reminder(p, dt.date(2024, 3, 12)).state == "faellig"  # due + 7
        assert ic.reminder(p, dt.date(2024, 3, 13)).state == "ueberfaellig"
        with pytest.raises(ic.IntensiveError, match="auswerten"):
            ic.record_meeting(
                db,
                p,
                date=dt.date(2024, 3, 20),
                situation="x",
                agreed_steps="y",
                review_of_previous="",
                user_name="ifk",
                role="ifk",
            )
        with pytest.raises(ic.IntensiveError, match="Weitere Unterstützung|weitere Unterstützung"):
            ic.record_meeting(
                db,
                p,
                date=dt.date(2024, 3, 20),
                situation="Job gefunden",
                agreed_steps="y",
                review_of_previous="erledigt",
                integrated=True,
                user_name="ifk",
                role="ifk",
            )
        ic.record_meeting(
            db,
            p,
            date=dt.date(2024, 3, 20),
            situation="Job gefunden",
            agreed_steps="Probezeit",
            review_of_previous="erledigt",
            integrated=True,
            further_support_needed=True,
            user_name="ifk",
            role="ifk",
        )
        assert (p.integrated_on, p.further_support_needed) == (dt.date(2024, 3, 20), True)
        # 2024-02-05 on time (due 01-31, +7 = 02-07); 2024-03-20 late (due 03-05, +7 = 03-12)
        assert ic.meetings_on_time(p) == (1, 2)
        # month-end: due a month after 2024-03-20 is 2024-04-20; the place ends 2024-07-30
        assert ic.next_due(p) == dt.date(2024, 4, 20)
        assert ic.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
        assert ic.close_expired(db, dt.date(2024, 7, 30)) == 0
        assert ic.close_expired(db, dt.date(2024, 7, 31)) == 1
        assert p.status == "finished" and ic.next_due(p) is None
        with pytest.raises(ic.IntensiveError, match="abgeschlossen"):
            ic.record_meeting(
                db,
                p,
                date=dt.date(2024, 8, 1),
                situation="x",
                agreed_steps="y",
                review_of_previous="z",
                user_name="ifk",
                role="ifk",
            )


def test_team_status_counts_by_hand(con, factory):
    with factory.begin() as db:
        p1 = ic.take(
            db,
            candidate=_cand(con, "b637"),
            caseworker_id="c1",
            user_name="ifk",
            role="ifk",
            today=dt.date(2024, 1, 10),
        )
        ic.take(
            db,
            candidate=_cand(con, "h637", Scope("caseload", "c2")),
            caseworker_id="c2",
            user_name="ifk2",
            role="ifk",
            today=dt.date(2024, 1, 10),
        )
        ic.take(
            db,
            candidate=_cand(con, "i600", Scope("caseload", "c3")),
            caseworker_id="c3",
            user_name="ifk3",
            role="ifk",
            today=dt.date(2024, 1, 10),
        )
        ic.record_meeting(
            db,
            p1,
            date=dt.date(2024, 1, 12),
            situation="s",
            agreed_steps="a",
            review_of_previous=None,
            user_name="ifk",
            role="ifk",
        )
        # on 2024-01-20: c1's next meeting is due 2024-02-12 (fine); c2 has none since 01-10 (overdue
        # after 01-17)
        rows = ic.team_status(db, today=dt.date(2024, 1, 20), team="T1")
        assert [
            (r["caseworker"], r["active"], r["taken_year"], r["limit"], r["meetings"], r["on_time"], r["overdue"])
            for r in rows
        ] == [("c1", 1, 1, 5, 1, 1, 0), ("c2", 1, 1, 5, 0, 0, 1)]
        assert len(ic.team_status(db, today=dt.date(2024, 1, 20))) == 3


def test_team_status_lists_every_ifk_of_the_team_also_without_a_place(con, factory):
    # caseload at T: c1 and c2 in T1, c3 in T2; only c2 has taken somebody
    assert sorted(ic.caseworkers(con, "T1")) == [("c1", "T1"), ("c2", "T1")]
    assert sorted(ic.caseworkers(con)) == [("c1", "T1"), ("c2", "T1"), ("c3", "T2")]
    with factory.begin() as db:
        ic.take(
            db,
            candidate=_cand(con, "h637", Scope("caseload", "c2")),
            caseworker_id="c2",
            user_name="ifk2",
            role="ifk",
            today=dt.date(2024, 1, 10),
        )
        rows = ic.team_status(db, today=dt.date(2024, 1, 20), team="T1", staff=ic.caseworkers(con, "T1"))
        assert [(r["caseworker"], r["active"], r["filled"]) for r in rows] == [
            ("c1", 0, "0 von 5"),
            ("c2", 1, "1 von 5"),
        ]


def test_an_integration_in_the_data_is_found_for_the_place(con):
    assert ic.data_integration(con, "t1", dt.date(2022, 1, 10)) == dt.date(2022, 3, 1)
    assert ic.data_integration(con, "t1", dt.date(2022, 3, 2)) is None
    assert ic.data_integration(con, "t2", dt.date(2022, 1, 10)) is None


# ---- the matched comparison ------------------------------------------------------------------------


def test_cohort_outcome_against_the_matched_comparison(con, factory):
    R = dt.date(2021, 12, 31)
    at_r = ic.candidates(con, Scope("all"), at=R)
    assert sorted(at_r["person_id"]) == ["k1", "k2", "k3", "t1", "t2", "t3"]
    assert set(at_r["dur"]) == {579} and set(at_r["days_left"]) == {59}
    with factory.begin() as db:
        for pid in ("t1", "t2", "t3"):
            row = at_r[at_r.person_id == pid].iloc[0].to_dict()
            ic.take(db, candidate=row, caseworker_id="c1", user_name="ifk", role="ifk", today=dt.date(2022, 1, 10))
        # an open cohort (ends after the data) is listed but not evaluated
        ic.take(
            db,
            candidate=_cand(con, "b637"),
            caseworker_id="c1",
            user_name="ifk",
            role="ifk",
            today=dt.date(2024, 1, 10),
        )
        out = ic.cohort_outcomes(con, db)
    assert [c["cohort"] for c in out] == ["2022-01", "2024-01"]
    c = out[0]
    assert (c["places"], c["taken"], c["matched"], c["comparison"]) == (3, 3, 2, 2)
    assert c["integrated_matched"] == pytest.approx(50.0)
    assert c["integrated_comparison"] == pytest.approx(50.0)
    assert c["lzb_avoided_matched"] == pytest.approx(50.0)
    assert c["lzb_avoided_comparison"] == pytest.approx(0.0)
    assert out[1]["evaluable"] is False
    assert "keine kausale" in ic.CAVEAT.lower()


# ---- the pages ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cockpit(cockpit_factory, warehouse):
    return cockpit_factory(warehouse, today="2024-01-31", intensive_places="2")


def _client(app, name):
    c = TestClient(app)
    assert login(c, name).status_code == 303
    return c


def test_an_ifk_sees_only_the_own_candidates_and_takes_them(cockpit):
    ifk = _client(cockpit, "ifk")
    html = ifk.get("/intensivbetreuung").text
    # whole words: the ids look like hex, and the page's random tokens are hex or base64
    for pid in ("b637", "a612", "g577", "e455"):
        assert re.search(rf"\b{pid}\b", html), pid
    for pid in ("h637", "i600", "c638", "f454", "d425"):
        assert not re.search(rf"\b{pid}\b", html), pid
    # the form carries a token, never the person id
    tokens = [t for t in re.findall(r'name="candidate" value="([^"]+)"', html)]
    assert len(tokens) == 4 and not any(t in ("b637", "a612") for t in tokens)
    # a token of another caseload is refused (the server re-checks the scope)
    other = ic.token_of("J1", "h637")
    r = ifk.post(
        "/intensivbetreuung/aufnehmen", data={"candidate": other, "csrf_token": csrf_of(html)}, follow_redirects=False
    )
    assert r.status_code == 400
    r = ifk.post(
        "/intensivbetreuung/aufnehmen",
        data={"candidate": tokens[0], "csrf_token": csrf_of(html)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/intensivbetreuung/platz/")
    assert "b637" not in r.headers["location"]
    page = ifk.get(r.headers["location"]).text
    assert "b637" in page and "31.01.2024" in page
    # a meeting without a situation is refused; the form comes back with what was typed
    bad = ifk.post(
        r.headers["location"] + "/gespraech",
        follow_redirects=False,
        data={"date": "2024-01-31", "situation": "", "agreed_steps": "Lebenslauf", "csrf_token": csrf_of(page)},
    )
    assert bad.status_code == 400 and "Bitte Situation" in bad.text and ">Lebenslauf</textarea>" in bad.text
    future = ifk.post(
        r.headers["location"] + "/gespraech",
        follow_redirects=False,
        data={"date": "2024-02-01", "situation": "s", "agreed_steps": "a", "csrf_token": csrf_of(page)},
    )
    assert future.status_code == 400 and "Zukunft" in future.text
    html = ifk.get("/intensivbetreuung").text
    assert 'id="erinnerung"' in html  # the first meeting is due today
    # the second take uses the last of the 2 places; then no more "Aufnehmen"
    tokens = re.findall(r'name="candidate" value="([^"]+)"', html)
    assert (
        ifk.post(
            "/intensivbetreuung/aufnehmen",
            data={"candidate": tokens[0], "csrf_token": csrf_of(html)},
            follow_redirects=False,
        ).status_code
        == 303
    )
    html = ifk.get("/intensivbetreuung").text
    assert "2 von 2 Plätzen" in html and 'name="candidate"' not in html
    tl = _client(cockpit, "tl")
    page = tl.get("/intensivbetreuung").text
    assert "c1" in page and "2 von 2" in page
    assert "b637" not in page and "a612" not in page  # aggregates only
    assert "keine kausale" in page.lower()
    # another IFK cannot open the place
    place = r.headers["location"]
    assert _client(cockpit, "ifk2").get(place).status_code == 404
    assert tl.get(place).status_code == 403
    ifk2 = _client(cockpit, "ifk2")
    assert (
        ifk2.post(
            place + "/beenden",
            data={"reason": "x", "csrf_token": csrf_of(ifk2.get("/konto").text)},
            follow_redirects=False,
        ).status_code
        == 404
    )
    # ending early needs a reason; then the place is closed and its slot stays used
    page = ifk.get(place).text
    assert (
        ifk.post(
            place + "/beenden", data={"reason": " ", "csrf_token": csrf_of(page)}, follow_redirects=False
        ).status_code
        == 400
    )
    r = ifk.post(place + "/beenden", data={"reason": "verzogen", "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303
    html = ifk.get("/intensivbetreuung").text
    assert "vorzeitig beendet" in html and "2 von 2 Plätzen" in html
    # the audit log has every view, take, meeting attempt and end, and no person id
    with cockpit.state.sessions.begin() as db:
        entries = audit.entries(db, limit=1000)
    actions = [e.action for e in entries if e.user_name == "ifk"]
    assert actions.count("intensive_take") == 2 and actions.count("intensive_end") == 1
    assert "view" in actions
    for e in entries:
        assert not re.search(r"\b(b637|a612|g577|e455|h637|i600)\b", f"{e.list_name} {e.detail}")


def test_meine_arbeit_has_the_due_meeting_the_candidates_and_the_own_numbers(cockpit):
    # After the test above: c1's place of a612 is active, its first meeting due on the day it was
    # taken (today 31.01.2024); b637's place ended early, so b637 is a candidate again.
    html = _client(cockpit, "ifk").get("/meine-arbeit").text
    assert 'id="erinnerung"' in html and re.search(r"Gespräch mit a612 \w+", html)
    assert "Aktive Plätze: 1; 2 von 2 Plätzen für 2024 vergeben." in html
    cands = html.split('<table id="kandidaten">')[1].split("</table>")[0]
    assert re.findall(r"<tr><td>(\w+)</td>", cands) == ["b637", "g577", "e455"]  # 1, 120, 183 days left
    # c1 at ST(2022-12): 14 persons assigned; ELB all but z_end and t1 (12); LZB c638 (638 days)
    # and t2, t3, k1, k2, k3 (since 2020-06-01): 6; integrations 2022: t1 (03), k3 (04), k2 (05)
    table = html.split('<table id="kunden">')[1].split("</table>")[0]
    assert re.findall(r'<td class="count">([^<]+)</td>', table) == ["14", "12", "6", "3"]


def test_a_single_job_center_without_published_figures_offers_no_vergleich(cockpit):
    co = _client(cockpit, "co")
    html = co.get("/konto").text
    nav = html.split('aria-label="Hauptnavigation"')[1].split("</nav>")[0]
    assert ">Übersicht<" in nav and ">Prognose<" in nav
    assert ">Vergleich<" not in nav and ">Abgleich<" not in nav and ">Datenstände<" not in nav
    page = co.get("/vergleich")  # still answers when opened by its address, and says why it is empty
    assert page.status_code == 200 and "nur ein Jobcenter" in page.text
