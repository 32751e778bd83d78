"""Synthetic deliveries (Datenstände): the simulated history as the job center knew it on a day.

A real job center records events late: an ELB spell's end weeks after the last day in receipt, an
employment start when the employer's report or the customer's note arrives, a measure when it is
booked. A delivery (``data-contract.md``, "Deliveries (Datenstände) and the Wartezeit") is the
state of the tables on its ``as_of`` day. This module derives every delivery from one simulated
history (the *truth*: the tables the generator writes for the whole period, i.e. the data as
finally recorded) and per-row recording days drawn once from the seed (:func:`draw_recording`):

- :func:`delivery` is pure and vectorised: the truth tables and the recording days in, the tables
  as known on ``as_of`` out (no Python loop over persons or rows);
- the recording days are the event's day plus a delay from the preset's ``[deliveries]`` section
  (a share recorded at once, the rest uniform over a range of days), and a few retroactive
  corrections (a spell end first recorded too late, a person's sex, a BG number);
- the last delivery of the history is the truth (every recording day is cut to the day before
  its ``as_of``), so ``amip synth --deliveries`` ends with the same tables as ``amip synth``.

Dates are epoch days (int64) throughout; an open end is :data:`OPEN`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from amip.synth.months import day_to_month, first_day, last_day, month_index, month_text

OPEN = np.int64(-(10**6))  # an open end (NULL) in the day arrays
NEVER = np.int64(10**8)  # recorded after any delivery

# the delays of the preset's [deliveries] section: <key>_on_time (share recorded at once) and
# <key>_days ([min, max] days otherwise); and the corrections' shares and days
DELAY_KEYS = ("spell_start", "spell_end", "job_start", "job_end", "measure", "proposal_outcome")
SHARE_KEYS = ("shortened_share", "sex_corrected_share", "bg_changed_share")
DAYS_KEYS = ("shortened_days", "corrected_after_days")


def check_config(cfg: dict) -> None:
    """Raise ValueError naming each missing or invalid key of a preset's ``[deliveries]`` section."""
    shares = [f"{k}_on_time" for k in DELAY_KEYS] + list(SHARE_KEYS)
    ranges = [f"{k}_days" for k in DELAY_KEYS] + list(DAYS_KEYS)
    missing = [k for k in shares + ranges if k not in cfg]
    if missing:
        raise ValueError(f"preset [deliveries]: missing key(s) {', '.join(missing)} (docs/synthetic.md)")
    for k in shares:
        if not isinstance(cfg[k], int | float) or not 0 <= cfg[k] <= 1:
            raise ValueError(f"preset [deliveries]: {k} = {cfg[k]!r} is not a share between 0 and 1")
    for k in ranges:
        v = cfg[k]
        ok = isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v) and 0 <= v[0] <= v[1]
        if not ok:
            raise ValueError(f"preset [deliveries]: {k} = {v!r} is not a range [min, max] of days, 0 <= min <= max")


@dataclass(frozen=True)
class Recording:
    """When each row of the truth tables (and each correction) is recorded, in epoch days. A record
    is in a delivery with ``as_of`` A when its day is before A."""

    spell_start: np.ndarray  # elb_spells: the spell is recorded (with its start)
    spell_end: np.ndarray  # its end is recorded (NEVER for an open spell)
    spell_late_end: np.ndarray  # the end first recorded for a shortened spell, else OPEN
    spell_end_fixed: np.ndarray  # the day the shortened end is corrected
    spell_bg: np.ndarray  # the BG number first recorded (str), "" = the final one
    spell_bg_fixed: np.ndarray  # the day the BG number is corrected
    benefit_bg: np.ndarray  # benefits: the BG number first recorded, "" = the final one
    benefit_bg_fixed: np.ndarray
    person_sex: np.ndarray  # persons: the sex first recorded (str), "" = the final one
    person_sex_fixed: np.ndarray
    job_start: np.ndarray  # employment_spells: the start is reported
    job_end: np.ndarray  # the end is reported (NEVER for an open job)
    measure: np.ndarray  # measures: the measure is booked
    proposal_outcome: np.ndarray  # proposals: the outcome is recorded (before: "offen")
    budget: np.ndarray  # budget: the row is known (1 December of the year before)
    caseload_start: np.ndarray  # caseload: the row is known (on its first day)
    caseload_end: np.ndarray  # its end is known (on the day; NEVER for an open row)


# ---- helpers ----------------------------------------------------------------------------------------


def _days(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A date column as epoch days (int64), NULL as OPEN."""
    arr = pc.fill_null(col.cast(pa.int32()), int(OPEN))
    return np.asarray(arr.to_numpy(), dtype=np.int64)


_EMPTY = {"bg_id": pa.string(), "year": pa.int64()}


def _table(truth: dict[str, pa.Table], name: str, column: str) -> pa.ChunkedArray | pa.Array:
    """A column of a truth table, or an empty one when the (optional) table is absent."""
    if name in truth:
        return truth[name][column]
    return pa.array([], _EMPTY.get(column, pa.date32()))


def _text(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(col.to_numpy(zero_copy_only=False)).astype(str)


def _date_array(days: np.ndarray) -> pa.Array:
    """Epoch days as a date32 array, OPEN as NULL."""
    mask = days == OPEN
    return pa.array(np.where(mask, 0, days).astype(np.int32), pa.int32(), mask=mask).cast(pa.date32())


def _delay(rng: np.random.Generator, n: int, cfg: dict, key: str) -> np.ndarray:
    """Delays in days: 0 for a share ``<key>_on_time``, else uniform in ``<key>_days`` (inclusive).
    Two draws per call, always of length n (the order of the calls is part of the output)."""
    lo, hi = (int(v) for v in cfg[f"{key}_days"])
    at_once = rng.random(n) < float(cfg[f"{key}_on_time"])
    late = rng.integers(lo, hi + 1, n)
    return np.where(at_once, 0, late).astype(np.int64)


def _pick(rng: np.random.Generator, eligible: np.ndarray, share: float) -> np.ndarray:
    """A share of the eligible rows (one uniform draw per row)."""
    return eligible & (rng.random(eligible.size) < share)


def _uniform_days(rng: np.random.Generator, n: int, days) -> np.ndarray:
    lo, hi = (int(v) for v in days)
    return rng.integers(lo, hi + 1, n).astype(np.int64)


def _first_per_key(keys: np.ndarray, values: np.ndarray, n_keys: int) -> np.ndarray:
    """The minimum of ``values`` per key code 0..n_keys-1 (NEVER where a key has none)."""
    out = np.full(n_keys, NEVER, np.int64)
    np.minimum.at(out, keys, values)
    return out


def _code_of(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The position of each value in the sorted unique ``keys`` (-1 where it is not among them)."""
    pos = np.searchsorted(keys, values)
    found = (pos < keys.size) & (keys[np.minimum(pos, max(keys.size - 1, 0))] == values) if keys.size else pos < 0
    return np.where(found, pos, -1)


def _new_ids(ids: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` ids not among ``ids``: the common prefix and numbers above the largest one (a
    pseudonymous BG number the job center gave first and later corrected)."""
    prefix = ids[0].rstrip("0123456789") if ids.size else "BG"
    digits = np.char.lstrip(ids.astype(str), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_")
    numeric = np.char.isdigit(digits) & (np.char.str_len(digits) > 0)
    top = int(digits[numeric].astype(np.int64).max()) if numeric.any() else 0
    return np.char.add(prefix, (top + 1 + rng.permutation(count)).astype(str))


# ---- the recording days -------------------------------------------------------------------------------


def draw_recording(
    truth: dict[str, pa.Table], cfg: dict, jobcenter_id: str, rng: np.random.Generator, final_as_of: int
) -> Recording:
    """Recording days for every row of ``truth`` from the preset's ``[deliveries]`` section ``cfg``.

    Draws come from ``rng`` only (a stream of its own, so the simulation and the normal tables of a
    seed stay as they are), always in this order and with a length fixed by the truth tables.
    Every day is cut to ``final_as_of - 1``: the delivery on ``final_as_of`` is the truth."""
    check_config(cfg)
    cap = np.int64(final_as_of - 1)
    sp = truth["elb_spells"]
    s_start, s_end = _days(sp["start_date"]), _days(sp["end_date"])
    s_person = _text(sp["person_id"])
    home = _text(sp["jobcenter_id"]) == str(jobcenter_id)
    lo = int(first_day(month_index(truth["dataset"]["first_month"][0].as_py())))  # spells are cut to it
    n = s_start.size

    # ELB spells: start and end recorded late; the earlier spells at another job center come with
    # the customer's first spell here (the extract holds them from then on)
    d_start = _delay(rng, n, cfg, "spell_start")
    d_end = _delay(rng, n, cfg, "spell_end")
    rec_start = np.where(s_start <= lo, s_start, s_start + d_start)
    persons, p_code = np.unique(s_person, return_inverse=True)
    first_home = _first_per_key(p_code[home], rec_start[home], persons.size)
    foreign_rec = np.where(first_home[p_code] == NEVER, rec_start, first_home[p_code])
    rec_start = np.where(home, rec_start, np.maximum(foreign_rec, s_start))
    closed = s_end != OPEN
    rec_end = np.where(closed, s_end + d_end, NEVER)
    rec_end = np.where(home | ~closed, rec_end, np.maximum(rec_start, s_end))

    # correction 1: a spell end first recorded too late, shortened later
    short = _pick(rng, home & closed, float(cfg["shortened_share"]))
    late_end = np.where(short, s_end + _uniform_days(rng, n, cfg["shortened_days"]), OPEN)
    end_fixed = np.where(short, rec_end + _uniform_days(rng, n, cfg["corrected_after_days"]), 0)

    # correction 2: a BG number first recorded wrongly (all spells and benefits of the BG)
    bg = _text(sp["bg_id"])
    bgs, bg_code = np.unique(bg, return_inverse=True)
    bg_first = _first_per_key(bg_code, rec_start, bgs.size)
    bg_home = np.zeros(bgs.size, bool)
    bg_home[bg_code[home]] = True
    changed = _pick(rng, bg_home, float(cfg["bg_changed_share"]))
    bg_fixed = bg_first + _uniform_days(rng, bgs.size, cfg["corrected_after_days"])
    wrong = np.full(bgs.size, "", dtype=object)
    wrong[changed] = _new_ids(bgs, int(changed.sum()), rng)
    wrong = wrong.astype(str)

    b_code = _code_of(bgs, _text(_table(truth, "benefits", "bg_id")))
    benefit_bg = np.where(b_code >= 0, wrong[np.maximum(b_code, 0)] if bgs.size else "", "")
    benefit_fixed = np.where(benefit_bg != "", bg_fixed[np.maximum(b_code, 0)] if bgs.size else 0, 0)

    # correction 3: a person's sex first recorded wrongly (m <-> w)
    pe = truth["persons"]
    pid = _text(pe["person_id"])
    sex = _text(pe["sex"])
    flip = _pick(rng, (sex == "m") | (sex == "w"), float(cfg["sex_corrected_share"]))
    person_sex = np.where(flip, np.where(sex == "m", "w", "m"), "")
    p_first = _first_per_key(p_code, rec_start, persons.size)
    pos = _code_of(persons, pid)
    p_first = np.where(pos >= 0, p_first[np.maximum(pos, 0)] if persons.size else NEVER, NEVER)
    sex_fixed = np.where(flip, p_first + _uniform_days(rng, pid.size, cfg["corrected_after_days"]), 0)

    # employment: starts and ends reported late
    j_start = _days(_table(truth, "employment_spells", "start_date"))
    j_end = _days(_table(truth, "employment_spells", "end_date"))
    job_start = j_start + _delay(rng, j_start.size, cfg, "job_start")
    job_end = np.where(j_end != OPEN, j_end + _delay(rng, j_end.size, cfg, "job_end"), NEVER)

    # measures booked late; proposal outcomes recorded after the proposal
    m_start = _days(_table(truth, "measures", "start_date"))
    measure = m_start + _delay(rng, m_start.size, cfg, "measure")
    p_day = _days(_table(truth, "proposals", "date"))
    outcome = p_day + _delay(rng, p_day.size, cfg, "proposal_outcome")

    # budget: a year's allocation, estimate and plan are known from 1 December of the year before
    years = np.asarray(_table(truth, "budget", "year").to_numpy(), dtype=np.int64)
    budget = np.asarray(first_day(years * 12 - 1), dtype=np.int64).reshape(-1)  # month index of December Y-1

    # caseload: known as it happens (the history's rows that start or end after its cut-off, see
    # casework.caseload, are only in its last delivery)
    c_start = _days(_table(truth, "caseload", "start_date"))
    c_end = _days(_table(truth, "caseload", "end_date"))

    def cut(days: np.ndarray) -> np.ndarray:
        return np.minimum(days, cap)

    return Recording(
        spell_start=cut(rec_start),
        spell_end=cut(rec_end),
        spell_late_end=late_end,
        spell_end_fixed=cut(end_fixed),
        spell_bg=np.where(wrong[bg_code] != "", wrong[bg_code], "") if n else np.zeros(0, str),
        spell_bg_fixed=cut(bg_fixed[bg_code]) if n else np.zeros(0, np.int64),
        benefit_bg=benefit_bg.astype(str),
        benefit_bg_fixed=cut(benefit_fixed),
        person_sex=person_sex.astype(str),
        person_sex_fixed=cut(sex_fixed),
        job_start=cut(job_start),
        job_end=cut(job_end),
        measure=cut(measure),
        proposal_outcome=cut(outcome),
        budget=cut(budget),
        caseload_start=cut(c_start),
        caseload_end=cut(np.where(c_end != OPEN, c_end, NEVER)),
    )


# ---- one delivery -------------------------------------------------------------------------------------


def _replace(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    i = table.schema.get_field_index(name)
    return table.set_column(i, table.schema.field(i), values.cast(table.schema.field(i).type))


def _in(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    return np.isin(values, allowed)


def delivery(truth: dict[str, pa.Table], rec: Recording, as_of: int) -> dict[str, pa.Table]:
    """The tables as known on ``as_of`` (epoch day): a data set of the contract with
    ``dataset.last_month`` the month before ``as_of``'s month and ``dataset.as_of`` = ``as_of``.

    - ELB spells: present when started by the cut-off and recorded; the end shown when it lies by
      the cut-off and is recorded (else open); a shortened spell shows its first, later end (open
      when after the cut-off) until the correction; a changed BG its first number;
    - persons: those with an ELB spell in the delivery (sex as recorded then);
    - employment: present when the start is reported; the end when reported; measures when booked;
    - benefits and indicators for months up to the cut-off; caseload, prognosis, proposals cut at
      it (a proposal's outcome is ``offen`` until recorded); a year's budget from 1 December
      of the year before;
      case events recorded before ``as_of``.
    """
    last = int(day_to_month(as_of)) - 1  # the last month complete before as_of
    hi = int(last_day(last))
    ds = truth["dataset"]
    first = ds["first_month"][0].as_py()
    if month_text(last) > ds["last_month"][0].as_py():
        raise ValueError(f"as_of {as_of} lies after the history's last month {ds['last_month'][0].as_py()}")
    if month_text(last) < first:
        raise ValueError(f"as_of {as_of} lies before the history's first month {first}")
    out: dict[str, pa.Table] = {}
    out["dataset"] = pa.table(
        {
            "first_month": pa.array([first], pa.string()),
            "last_month": pa.array([month_text(last)], pa.string()),
            "as_of": _date_array(np.array([as_of], np.int64)),
        }
    )

    # ELB spells
    sp = truth["elb_spells"]
    start, end = _days(sp["start_date"]), _days(sp["end_date"])
    keep = (start <= hi) & (rec.spell_start < as_of)
    known_end = (end != OPEN) & (end <= hi) & (rec.spell_end < as_of)
    shown = np.where(known_end, end, OPEN)
    provisional = (rec.spell_late_end != OPEN) & (rec.spell_end < as_of) & (rec.spell_end_fixed >= as_of)
    shown = np.where(provisional, np.where(rec.spell_late_end <= hi, rec.spell_late_end, OPEN), shown)
    bg = _text(sp["bg_id"])
    first_bg = (rec.spell_bg != "") & (rec.spell_bg_fixed >= as_of)
    spells = _replace(sp, "end_date", _date_array(shown))
    spells = _replace(spells, "bg_id", pa.array(np.where(first_bg, rec.spell_bg, bg)))
    spells = spells.filter(pa.array(keep))
    out_persons = np.unique(_text(spells["person_id"]))

    # persons
    pe = truth["persons"]
    pid = _text(pe["person_id"])
    first_sex = (rec.person_sex != "") & (rec.person_sex_fixed >= as_of)
    persons = _replace(pe, "sex", pa.array(np.where(first_sex, rec.person_sex, _text(pe["sex"]))))
    out["persons"] = persons.filter(pa.array(_in(pid, out_persons)))
    out["elb_spells"] = spells

    def has(name: str) -> bool:
        return name in truth

    def person_rows(table: pa.Table) -> np.ndarray:
        return _in(_text(table["person_id"]), out_persons)

    if has("benefits"):
        bn = truth["benefits"]
        b_first = (rec.benefit_bg != "") & (rec.benefit_bg_fixed >= as_of)
        benefits = _replace(bn, "bg_id", pa.array(np.where(b_first, rec.benefit_bg, _text(bn["bg_id"]))))
        out["benefits"] = benefits.filter(pa.array(_text(bn["month"]) <= month_text(last)))
    if has("employment_spells"):
        em = truth["employment_spells"]
        j_start, j_end = _days(em["start_date"]), _days(em["end_date"])
        j_keep = (j_start <= hi) & (rec.job_start < as_of) & person_rows(em)
        j_shown = np.where((j_end != OPEN) & (j_end <= hi) & (rec.job_end < as_of), j_end, OPEN)
        out["employment_spells"] = _replace(em, "end_date", _date_array(j_shown)).filter(pa.array(j_keep))
    if has("measures"):  # the planned end is booked with the measure
        me = truth["measures"]
        out["measures"] = me.filter(pa.array((_days(me["start_date"]) <= hi) & (rec.measure < as_of) & person_rows(me)))
    if has("caseload"):
        cl = truth["caseload"]
        c_shown = np.where(rec.caseload_end < as_of, _days(cl["end_date"]), OPEN)
        c_keep = (rec.caseload_start < as_of) & person_rows(cl)
        out["caseload"] = _replace(cl, "end_date", _date_array(c_shown)).filter(pa.array(c_keep))
    if has("prognosis"):
        pg = truth["prognosis"]
        out["prognosis"] = pg.filter(pa.array((_days(pg["valid_from"]) <= hi) & person_rows(pg)))
    if has("proposals"):  # the outcome is open until recorded
        pr = truth["proposals"]
        outcome = np.where(rec.proposal_outcome < as_of, _text(pr["outcome"]), "offen")
        p_keep = (_days(pr["date"]) <= hi) & person_rows(pr)
        out["proposals"] = _replace(pr, "outcome", pa.array(outcome)).filter(pa.array(p_keep))
    if has("budget"):
        out["budget"] = truth["budget"].filter(pa.array(rec.budget < as_of))
    if has("case_events"):
        ce = truth["case_events"]
        out["case_events"] = ce.filter(pa.array((_days(ce["recorded_date"]) < as_of) & person_rows(ce)))
    if has("indicators"):
        ind = truth["indicators"]
        out["indicators"] = ind.filter(pa.array(_text(ind["month"]) <= month_text(last)))
    return {name: out[name] for name in truth if name in out}


def as_of_days(first_month: int, last_month: int) -> list[int]:
    """The ``as_of`` days of monthly deliveries for the months ``first_month``..``last_month``
    (month indexes): the first day of the following month each."""
    return [int(first_day(m + 1)) for m in range(first_month, last_month + 1)]


_RANGE_MONTH = re.compile(r"^\s*(?:(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4}))\s*$")


def parse_month_any(text: str) -> int:
    """A month as ``YYYY-MM`` or ``MM/YYYY`` (the cockpit's way of writing it) as a month index."""
    m = _RANGE_MONTH.match(text or "")
    if not m:
        raise ValueError(f"not a month (YYYY-MM or MM/YYYY): {text!r}")
    year, mon = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    if not 1 <= int(mon) <= 12:
        raise ValueError(f"not a month (YYYY-MM or MM/YYYY): {text!r}")
    return int(year) * 12 + int(mon) - 1


def parse_months(text: str) -> tuple[int, int]:
    """``FROM..TO`` (each ``YYYY-MM`` or ``MM/YYYY``; one month alone is a range of one) as month
    indexes."""
    parts = (text or "").split("..")
    if len(parts) > 2 or not parts[0].strip():
        raise ValueError(f"not a range of months (YYYY-MM..YYYY-MM or MM/YYYY..MM/YYYY): {text!r}")
    lo = parse_month_any(parts[0])
    hi = parse_month_any(parts[-1])
    if lo > hi:
        raise ValueError(f"the range of months {text!r} ends before it starts")
    return lo, hi


def folder_name(as_of: int) -> str:
    """``delivery-YYYY-MM-DD``: the folder of the delivery on ``as_of``."""
    return f"delivery-{np.datetime64(int(as_of), 'D')}"
