"""Issue 11, points 5 and 6: bad input files never crash, hang or leak, imports are exclusive and
clean up after a killed run, and a running cockpit follows a new import without mixing two.

Every bad file: a clear message naming the file, exit code != 0, no traceback, warehouse unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from amip.cli import app
from amip.warehouse.store import ImportLocked, exclusive, import_dataset
from builder import DataSet, runner

SRC = Path(__file__).resolve().parents[1] / "src"


def good() -> DataSet:
    ds = DataSet("2020-01", "2021-12")
    ds.person("p1", "w", "1980-01-01").person("p2", "m", "1975-06-30")
    ds.spell("p1", "J1", "2020-01-01", "2021-03-31").spell("p2", "J1", "2020-05-01")
    ds.job("p1", "svb", "2021-04-01")
    ds.benefit("J1", "bg_p1", "2021-01", "RB", "446")
    return ds


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command line in its own process (a hang becomes a TimeoutExpired, not a stuck test)."""
    full = {
        **os.environ,
        "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "COLUMNS": "400",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "amip.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full,
        check=False,
    )


@pytest.fixture()
def warehouse(tmp_path) -> Path:
    db = tmp_path / "wh.duckdb"
    res = runner.invoke(app, ["import", str(good().write(tmp_path / "good")), "--db", str(db)])
    assert res.exit_code == 0, res.output
    return db


def _latin1(folder: Path) -> None:
    f = folder / "persons.csv"
    f.write_bytes(f.read_bytes() + "pü,w,1990-01-01\r\n".encode("latin-1"))


def _latin1_header(folder: Path) -> None:
    f = folder / "persons.csv"
    f.write_bytes(f.read_bytes().replace(b"birth_date", "Geburtsdatum_für".encode("latin-1"), 1))


def _replace_with(make):
    def edit(folder: Path) -> None:
        (folder / "persons.csv").unlink()
        make(folder / "persons.csv")

    return edit


BAD = [
    # (what, edit, fragments the message must hold)
    ("Latin-1 row", _latin1, ["persons.csv", "line 4", "not UTF-8", "byte 0xFC", "CSV UTF-8"]),
    ("Latin-1 header", _latin1_header, ["persons.csv", "line 1", "not UTF-8", "header", "CSV UTF-8"]),
    ("directory named persons.csv", _replace_with(lambda p: p.mkdir()), ["persons.csv", "is a directory"]),
    ("FIFO", _replace_with(os.mkfifo), ["persons.csv", "named pipe (FIFO)"]),
    (
        "symlink to /dev/zero",
        _replace_with(lambda p: p.symlink_to("/dev/zero")),
        ["persons.csv", "symbolic link to a file outside the data set directory"],
    ),
    (
        "symlink to /etc/passwd",
        _replace_with(lambda p: p.symlink_to("/etc/passwd")),
        ["persons.csv", "symbolic link to a file outside the data set directory"],
    ),
    (
        "header without end",
        _replace_with(lambda p: p.write_bytes(b"person_id" * 200_000)),
        ["persons.csv", "line 1", "header line is longer than 1,048,576 bytes"],
    ),
    (
        "dangling symlink",
        _replace_with(lambda p: p.symlink_to(p.parent / "nowhere.csv")),
        ["persons.csv", "cannot be read"],
    ),
]


@pytest.mark.parametrize("what, edit, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_file_is_named_refused_and_changes_nothing(tmp_path, warehouse, what, edit, expected):
    before = digest(warehouse)
    folder = good().write(tmp_path / "bad")
    edit(folder)
    res = cli("import", str(folder), "--db", str(warehouse), timeout=60)  # a FIFO that is opened would hang
    message = res.stdout + res.stderr
    assert res.returncode == 2, message
    for fragment in expected:
        assert fragment in message, (fragment, message)
    assert "Traceback" not in message
    assert "Nothing was changed" in message
    assert digest(warehouse) == before
    # Not one byte of a file outside the data set reaches the message.
    assert "root:" not in message and "/bin/" not in message


def test_symlink_inside_the_data_set_is_followed(tmp_path):
    """Links that stay inside the directory are fine (e.g. a data set assembled from parts)."""
    folder = good().write(tmp_path / "ds")
    (folder / "persons.csv").rename(folder / "persons-2021.csv")
    (folder / "persons.csv").symlink_to("persons-2021.csv")
    res = cli("import", str(folder), "--db", str(tmp_path / "wh.duckdb"))
    assert res.returncode == 0, res.stderr


def test_oversize_file_is_refused_with_the_limit(tmp_path, warehouse):
    before = digest(warehouse)
    folder = good().write(tmp_path / "big")
    size = (folder / "elb_spells.csv").stat().st_size
    assert size > 100
    res = cli("import", str(folder), "--db", str(warehouse), env={"AMIP_MAX_FILE_BYTES": "100"})
    message = res.stdout + res.stderr
    assert res.returncode == 2, message
    assert f"elb_spells.csv: file is larger than the limit of 100 bytes ({size:,} bytes)" in message
    assert "AMIP_MAX_FILE_BYTES" in message and "Traceback" not in message
    assert digest(warehouse) == before
    # The same files are accepted under the default limit.
    assert cli("import", str(folder), "--db", str(warehouse)).returncode == 0


def test_bad_size_setting_is_a_clear_error(tmp_path, warehouse):
    before = digest(warehouse)
    res = cli("import", str(good().write(tmp_path / "ds")), "--db", str(warehouse), env={"AMIP_MAX_FILE_BYTES": "viel"})
    assert res.returncode == 1
    assert "AMIP_MAX_FILE_BYTES='viel' is not a positive size" in res.stderr
    assert "Traceback" not in res.stderr
    assert digest(warehouse) == before


def test_latin1_found_beyond_the_first_chunk(tmp_path, warehouse):
    """The UTF-8 check streams the file in 1 MiB chunks: a bad byte after several MiB names its
    own line; a two-byte character split across two chunks is no error."""
    folder = good().write(tmp_path / "ds")
    f = folder / "persons.csv"
    data = bytearray(f.read_bytes())
    lines = data.count(b"\n")
    while len(data) < 2**20 - 40:
        data += f"q{lines:07d},w,1990-01-01\r\n".encode()
        lines += 1
    # one id whose 'ö' (0xC3 0xB6) starts on the last byte of the first chunk
    pad = 2**20 - 1 - len(data) - 1
    data += b"q" + b"a" * pad + "ö,w,1990-01-01\r\n".encode()
    assert data[2**20 - 1] == 0xC3
    lines += 1
    while len(data) < 3 * 2**20:
        data += f"q{lines:07d},w,1990-01-01\r\n".encode()
        lines += 1
    f.write_bytes(bytes(data))
    res = cli("import", str(folder), "--db", str(tmp_path / "other.duckdb"))
    assert res.returncode == 0, res.stderr
    f.write_bytes(bytes(data) + "pä,w,1990-01-01\r\n".encode("latin-1"))
    res = cli("import", str(folder), "--db", str(warehouse))
    assert res.returncode == 2
    assert f"persons.csv, line {lines + 1}: not UTF-8 (byte 0xE4 at position 2 of the line)" in res.stderr


# ---- imports: one at a time, leftovers of a killed run -----------------------------------------


def big(folder: Path, persons: int = 300_000) -> Path:
    """A valid data set large enough that an import runs for a while (written directly as CSV)."""
    ds = good()
    ds.write(folder)
    with open(folder / "persons.csv", "a", newline="") as fh:
        w = csv.writer(fh)
        w.writerows([f"b{i:07d}", "wm"[i % 2], "1980-01-01"] for i in range(persons))
    with open(folder / "elb_spells.csv", "a", newline="") as fh:
        w = csv.writer(fh)
        w.writerows([f"b{i:07d}", "J1", f"bg{i}", "2020-01-01", "", "false"] for i in range(persons))
    return folder


def leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name.startswith(f".{db.name}.") and ".new" in p.name)


def wait_for(condition, what: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def start_import(data: Path, db: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "COLUMNS": "400"}
    return subprocess.Popen(
        [sys.executable, "-m", "amip.cli", "import", str(data), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def persons_in(db: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM persons").fetchone()[0]
    finally:
        con.close()


def test_kill_9_during_import_leaves_nothing_after_the_next_import(tmp_path, warehouse):
    before = digest(warehouse)
    data = big(tmp_path / "big")
    proc = start_import(data, warehouse)
    try:
        wait_for(lambda: leftovers(warehouse) or proc.poll() is not None, "the import's .new file")
        assert proc.poll() is None, "the import finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = leftovers(warehouse)
    assert left, "a killed import leaves its temporary copy (else this test shows nothing)"
    assert digest(warehouse) == before  # the old warehouse is intact
    # The next import removes the leftovers (it holds the lock, so nobody else is using them).
    res = runner.invoke(app, ["import", str(good().write(tmp_path / "again")), "--db", str(warehouse)])
    assert res.exit_code == 0, res.output
    assert leftovers(warehouse) == []
    assert persons_in(warehouse) == 2


def test_second_import_is_refused_while_one_runs(tmp_path, warehouse):
    data = big(tmp_path / "big")
    first = start_import(data, warehouse)
    try:
        wait_for(lambda: leftovers(warehouse) or first.poll() is not None, "the first import's .new file")
        assert first.poll() is None, "the first import finished before the second started"
        res = runner.invoke(app, ["import", str(good().write(tmp_path / "small")), "--db", str(warehouse)])
        assert res.exit_code == 3, res.output
        assert "another import into" in res.output and str(warehouse) in res.output
        assert f"pid {first.pid}" in res.output
        assert "nothing was changed" in res.output and "Traceback" not in res.output
        _out, err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    # Only the first one succeeded, and its data is what the warehouse holds.
    assert persons_in(warehouse) == 300_002
    assert leftovers(warehouse) == []


def test_waiting_import_runs_after_the_holder(tmp_path, warehouse):
    """--wait: the second import waits for the lock and then runs; a leftover is not touched while
    another process holds the lock."""
    stale = warehouse.with_name(f".{warehouse.name}.abcd1234.new")
    release = threading.Event()
    holding = threading.Event()

    def hold():
        with exclusive(warehouse):
            holding.set()
            release.wait(60)

    t = threading.Thread(target=hold)
    t.start()
    try:
        holding.wait(10)
        stale.write_bytes(b"x")
        spill = warehouse.with_name(f".{warehouse.name}.abcd1234.new.tmp")
        spill.mkdir()
        (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"x")
        with pytest.raises(ImportLocked):
            import_dataset(good().write(tmp_path / "a"), warehouse)
        assert stale.exists()  # refused before touching anything
        threading.Timer(0.5, release.set).start()
        counts = import_dataset(good().write(tmp_path / "b"), warehouse, wait=60)
    finally:
        release.set()
        t.join()
    assert counts["persons"] == 2
    assert not stale.exists() and not spill.exists()


# ---- a running cockpit follows a new import, one import per document ----------------------------

NOTICE = "Ein neuer Datenstand wird vorbereitet"


@pytest.fixture()
def own_state(monkeypatch):
    monkeypatch.delenv("AMIP_STATE_DB", raising=False)  # the SQLite state database beside the warehouse


def _cockpit_client(db: Path, user: str):
    from fastapi.testclient import TestClient

    from amip.cockpit.app import create_app
    from amip.cockpit.settings import Settings
    from cockpit_fixture import add_users, login

    add_users(db)
    client = TestClient(create_app(Settings.from_env(db)))
    client.__enter__()
    assert login(client, user).status_code == 303
    return client


def test_running_cockpit_switches_to_a_new_import(tmp_path, own_state):
    """cockpit_fixture's job center: K2(2022-12) = 1 integration / mean stock 41/12 = 29,3 %.
    The new import adds p7, in receipt at J1 throughout: mean stock 53/12 = 4,4, K2 = 12/53 = 22,6 %."""
    from cockpit_fixture import cockpit_dataset

    db = tmp_path / "amip.duckdb"
    assert runner.invoke(app, ["import", str(cockpit_dataset().write(tmp_path / "a")), "--db", str(db)]).exit_code == 0
    c = _cockpit_client(db, "co")
    try:
        page = c.get("/kennzahl/K2?jc=J1&month=2022-12").text
        assert "29,3&nbsp;%" in page and NOTICE not in page

        b = cockpit_dataset()
        b.person("p7", "m", "1980-01-01").spell("p7", "J1", "2020-01-01")
        res = runner.invoke(app, ["import", str(b.write(tmp_path / "b")), "--db", str(db)])
        assert res.exit_code == 0, res.output

        # The import is noticed at once: the old state, consistently, and the notice.
        page = c.get("/kennzahl/K2?jc=J1&month=2022-12").text
        assert NOTICE in page
        assert "29,3&nbsp;%" in page and "22,6&nbsp;%" not in page
        assert c.app.state.live.wait(600)
        page = c.get("/kennzahl/K2?jc=J1&month=2022-12").text
        assert NOTICE not in page
        assert "22,6&nbsp;%" in page and re.search(r'<td class="count">4,4</td>', page)
        # The API and the person lists (controlling sees all) come from the new store too.
        rows = c.get("/api/figures?figure=K2&jc=J1&from=2022-12&to=2022-12").json()
        assert rows[0]["value"] == pytest.approx(100 * 12 / 53)
        listed = c.get("/personen?count=stock&month=2022-12&jc=J1").text
        assert all(re.search(rf"\b{p}\b", listed) for p in ("p1", "p2", "p3", "p7"))
    finally:
        c.__exit__(None, None, None)


def test_cockpit_keeps_the_old_state_when_the_new_one_cannot_be_prepared(tmp_path, own_state):
    """A warehouse file that is no database (copied over by hand, say): the cockpit says so and
    goes on with the old data; the next good import is taken over."""
    from cockpit_fixture import cockpit_dataset

    db = tmp_path / "amip.duckdb"
    assert runner.invoke(app, ["import", str(cockpit_dataset().write(tmp_path / "a")), "--db", str(db)]).exit_code == 0
    c = _cockpit_client(db, "co")
    try:
        junk = tmp_path / "junk"
        junk.write_bytes(b"kein DuckDB" * 1000)
        os.replace(junk, db)
        page = c.get("/kennzahl/K2?jc=J1&month=2022-12").text  # noticed: preparing, or failed already
        assert NOTICE in page or "konnte nicht übernommen" in page
        assert "29,3&nbsp;%" in page
        assert c.app.state.live.wait(600)
        page = c.get("/kennzahl/K2?jc=J1&month=2022-12").text
        assert "Ein neuer Datenstand konnte nicht übernommen werden" in page
        assert "29,3&nbsp;%" in page and "kein DuckDB" not in page
        assert c.get("/api/figures?figure=K2&jc=J1&from=2022-12&to=2022-12").status_code == 200

        b = cockpit_dataset()
        b.person("p7", "m", "1980-01-01").spell("p7", "J1", "2020-01-01")
        refused = runner.invoke(app, ["import", str(b.write(tmp_path / "b")), "--db", str(db)])
        assert refused.exit_code == 1 and "not an amip warehouse" in refused.output  # never overwritten unasked
        assert (tmp_path / "amip.duckdb").read_bytes().startswith(b"kein DuckDB")
        replaced = runner.invoke(app, ["import", str(tmp_path / "b"), "--db", str(db), "--replace"])
        assert replaced.exit_code == 0
        c.get("/kennzahl/K2?jc=J1&month=2022-12")
        assert c.app.state.live.wait(600)
        page = c.get("/kennzahl/K2?jc=J1&month=2022-12").text
        assert "22,6&nbsp;%" in page and "konnte nicht übernommen" not in page and NOTICE not in page
    finally:
        c.__exit__(None, None, None)


def _sheets(data: bytes) -> dict[str, list[list]]:
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [[cell.value for cell in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def test_programme_xlsx_never_mixes_two_imports(tmp_path, own_state):
    """The programme built by the cockpit after a new import: before the switch every sheet is the
    old import's, after it every sheet the new import's (equal to `amip report programme` on the
    new warehouse). The new import changes both kinds of sheets: the key figures (from the figure
    cache) and the budget (read from the warehouse)."""
    from test_reports import report_dataset

    db = tmp_path / "amip.duckdb"
    assert runner.invoke(app, ["import", str(report_dataset().write(tmp_path / "a")), "--db", str(db)]).exit_code == 0
    c = _cockpit_client(db, "gf")
    url = "/berichte/programm.xlsx?jc=J1&year=2022"
    try:
        r = c.get(url)
        assert r.status_code == 200, r.text
        old = _sheets(r.content)

        b = report_dataset()
        b.person("p4", "w", "1980-01-01").spell("p4", "J1", "2020-01-01")
        b.rows["budget"] = [
            [*row[:5], "8000000"] if row[:4] == ["J1", "2021", "VK", "zuteilung"] else row for row in b.rows["budget"]
        ]
        res = runner.invoke(app, ["import", str(b.write(tmp_path / "b")), "--db", str(db)])
        assert res.exit_code == 0, res.output

        r = c.get(url)
        assert r.status_code == 200
        assert _sheets(r.content) == old  # still wholly the old import (the new one is being prepared)
        assert c.app.state.live.wait(600)
        new = _sheets(c.get(url).content)
    finally:
        c.__exit__(None, None, None)
    out = tmp_path / "cli.xlsx"
    res = runner.invoke(app, ["report", "programme", "--year", "2022", "--db", str(db), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert new == _sheets(out.read_bytes())
    assert new["kennzahlen"] != old["kennzahlen"] and new["budget"] != old["budget"]


def test_kpi_on_a_bad_data_set_is_a_message(tmp_path):
    """`amip kpi --data` reads the data set through the same checks."""
    folder = good().write(tmp_path / "ds")
    (folder / "persons.csv").unlink()
    (folder / "persons.csv").symlink_to("/etc/passwd")
    res = cli("kpi", "--data", str(folder), "--from", "2021-01", "--to", "2021-12", "--out", str(tmp_path / "k.csv"))
    assert res.returncode == 2
    assert "persons.csv: is a symbolic link to a file outside the data set directory" in res.stderr
    assert "root:" not in res.stdout + res.stderr and "Traceback" not in res.stderr


def test_cache_build_during_an_import_is_made_again(tmp_path):
    """An import that replaces the warehouse while the cockpit computes its figures (between the
    engine's read and the office/team read): that build is thrown away and made again from the
    new import; the cache never holds figures of one import under the other's identity.
    cockpit_fixture's stock at J1 in 2022-12 is 3 (p1, p2, p3); the new import adds p7: 4."""
    from amip.figures.store import FigureStore, fingerprint
    from cockpit_fixture import cockpit_dataset

    db = tmp_path / "amip.duckdb"
    assert runner.invoke(app, ["import", str(cockpit_dataset().write(tmp_path / "a")), "--db", str(db)]).exit_code == 0
    b = cockpit_dataset()
    b.person("p7", "m", "1980-01-01").spell("p7", "J1", "2020-01-01")
    newer = b.write(tmp_path / "b")
    stages = []

    def progress(stage: str) -> None:
        stages.append(stage)
        if stage == "figures by office and team" and stages.count(stage) == 1:
            import_dataset(newer, db)  # the warehouse lock, not the cache's: no wait

    store = FigureStore.open(db, progress=progress)
    try:
        assert stages.count("figures by office and team") == 2  # built twice
        assert store.generation == fingerprint(db)
        assert store.count("J1", "stock", "2022-12") == 4
        team = store.by_unit("J1", "K1E2", "2022-12", "team")
        assert set(team["unit"]) >= {"T1", "T2"}
        # the office/team figures are the new import's too: p7 has no caseload
        assert "ohne Zuordnung" in set(team["unit"])
        con = store.connect()
        try:
            assert con.execute("SELECT count(*) FROM persons").fetchone()[0] == 7
        finally:
            con.close()
    finally:
        store.close()
