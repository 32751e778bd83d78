"""The shared value helpers of amip.format: one NaN test and one relative change for every display."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import numpy as np
import typer

from amip import format as fmt
from amip.clikit import month_value


def test_is_missing_is_none_or_nan_only():
    assert fmt.is_missing(None)
    assert fmt.is_missing(float("nan"))
    assert fmt.is_missing(np.float64("nan"))
    assert fmt.is_missing(Decimal("NaN"))
    for value in (0, 0.0, -1.5, "", "–", np.int64(3), Decimal("2.5")):
        assert not fmt.is_missing(value), value


def test_pct_change_by_hand():
    assert fmt.pct_change(110.0, 100.0) == 10.0
    assert fmt.pct_change(75, 100) == -25.0
    assert fmt.pct_change(5.0, 0) is None  # no base, no change
    assert fmt.pct_change(None, 100.0) is None
    assert fmt.pct_change(100.0, None) is None


def test_missing_values_display_as_dash():
    assert fmt.number(float("nan"), 1) == "–"
    assert fmt.percent(None) == "–"
    assert fmt.number(4554) == "4.554"


def test_as_number_keeps_numbers_only():
    assert fmt.as_number(3) == 3.0 and fmt.as_number(np.int64(7)) == 7.0 and fmt.as_number(Decimal("2.5")) == 2.5
    for value in (None, float("nan"), np.float64("nan"), "12", b"1", True, object()):
        assert fmt.as_number(value) is None, value


# ---- the formatting layer (issue 15), once for every kind of value -------------------------------


def test_months_read_both_forms_and_show_mm_yyyy():
    import pytest

    assert fmt.iso_month("12/2022") == "2022-12" and fmt.iso_month("2022-12") == "2022-12"
    assert fmt.iso_month(" 1/2023 ") == "2023-01" and fmt.iso_month("2023-1") == "2023-01"
    for bad in ("13/2022", "2022-13", "0/2022", "Dezember", "", None, "2022/12"):
        with pytest.raises(ValueError, match="is not a month .use MM/YYYY or YYYY-MM"):
            fmt.iso_month(bad)
    assert fmt.month("2022-12") == "12/2022" and fmt.month("12/2022") == "12/2022"
    assert fmt.month("2022-03-01") == "03/2022"  # a month's first day
    import datetime as dt

    assert fmt.month(dt.date(2022, 3, 31)) == "03/2022"
    assert fmt.month(None) == "–" and fmt.month(float("nan")) == "–"


def test_dates_and_times_in_berlin():
    import datetime as dt

    assert fmt.date_de("2022-12-31") == "31.12.2022" and fmt.date_de(dt.date(2023, 1, 1)) == "01.01.2023"
    # the footer's case: built 2026-12-01 14:54 UTC is 15:54 in Berlin (CET, UTC+1)
    assert fmt.time_de("2026-12-01T14:54:07+00:00") == "01.12.2026 um 15:54 Uhr"
    # naive datetimes are UTC (as the state database stores them); summer time is UTC+2
    assert fmt.time_de(dt.datetime(2026, 7, 1, 22, 30)) == "02.07.2026 um 00:30 Uhr"
    assert fmt.time_de(dt.datetime(2026, 7, 1, 22, 30, 5), seconds=True, short=True) == "02.07.2026 00:30:05"
    assert fmt.time_de(None) == "–"


def test_counts_rates_money_and_missing():
    assert fmt.count(253.0) == "253" and fmt.count(4554) == "4.554"  # whole counts: no ",0"
    assert fmt.count(41 / 12) == "3,4" and fmt.count(2472.94, 1) == "2.472,9"  # averages keep decimals
    assert fmt.count(None) == "–"
    assert fmt.rate(29.26829) == "29,3\u00a0%" and fmt.rate(-0.04) == "-0,0\u00a0%" and fmt.rate(None) == "–"
    assert fmt.percent(22.45, 1) == "22,4"  # half to even, as babel rounds everywhere
    assert fmt.money(1234567.8) == "1.234.568\u00a0€" and fmt.money(None) == "–"


def test_download_cells_are_rounded_as_shown():
    assert fmt.plain(939.9999999999999, 1) == "940,0"  # no float noise
    assert fmt.plain(939.9999999999999) == "940"
    assert fmt.plain(1662688.25, 2) == "1662688,25"  # no thousands separator in a cell
    assert fmt.plain(-3.19, 1) == "-3,2" and fmt.plain(None, 1) == ""
    assert fmt.plain(22.45, 1) == fmt.percent(22.45, 1)  # exactly the page's rounding


def test_headers_carry_their_units():
    assert fmt.with_unit("Anteil", "%") == "Anteil (%)"
    assert fmt.with_unit("Anteil %", "%") == "Anteil (%)" and fmt.with_unit("Quote in %", "%") == "Quote (%)"
    assert fmt.with_unit("Plan in Euro", "EUR") == "Plan (EUR)" and fmt.with_unit("Kosten", "EUR") == "Kosten (EUR)"
    assert fmt.with_unit("Zähler (Insgesamt)", "EUR") == "Zähler (Insgesamt, EUR)"
    assert fmt.with_unit("Revision (Pp.)", "Pp.") == "Revision (Pp.)"  # already there
    assert fmt.with_unit("Befunde", "") == "Befunde" and fmt.with_unit("Befunde", None) == "Befunde"


def test_today_of_data_pages_is_the_datenstand():
    import datetime as dt

    assert fmt.data_day(dt.date(2023, 1, 1), "2022-12") == dt.date(2023, 1, 1)  # the latest delivery
    assert fmt.data_day("2023-01-01T00:00:00", None) == dt.date(2023, 1, 1)
    assert fmt.data_day(None, "2022-12") == dt.date(2022, 12, 31)  # else ST(last month)
    assert fmt.data_day(None, "02/2024") == dt.date(2024, 2, 29)
    assert fmt.data_day(None, None) is None
    data = dt.date(2022, 12, 31)
    assert fmt.today("data", data) == data  # AMIP_TODAY=data: demos on old data
    assert fmt.today("2024-01-31", data) == dt.date(2024, 1, 31)
    assert fmt.today("31.01.2024") == dt.date(2024, 1, 31)
    # unset: the real date in Berlin, never the data's
    real = fmt.today(None, data)
    assert abs((real - dt.datetime.now(dt.UTC).date()).days) <= 1 and real != data


def test_cockpit_columns_round_and_label_downloads_like_the_page():
    from amip.cockpit.tables import Column
    from amip.disclosure import SUPPRESSED

    share = Column("share", "Anteil %", "percent")
    assert share.header == "Anteil (%)" and share.display(939.9999999999999) == "940,0"
    assert share.cell(939.9999999999999) == "940,0" and share.cell(None) == ""
    count = Column("n", "Zähler", "count", 1)
    assert count.display(253.0) == "253" and count.cell(253.0) == "253"  # not "253,0"
    assert count.display(41 / 12) == "3,4" and count.cell(41 / 12) == "3,4"
    assert count.cell(SUPPRESSED) == "*" and count.display(SUPPRESSED) == "*"
    euro = Column("cost", "Kosten", "amount", unit="EUR")
    assert euro.header == "Kosten (EUR)" and euro.cell(1234.5) == "1234"  # half to even, as shown
    month = Column("month", "Monat", "month")
    assert month.display("2022-12") == "12/2022" and month.cell("2022-12") == "12/2022"
    assert Column("rate", "Befunde je 100 ELB", "percent", 2, unit="").header == "Befunde je 100 ELB"


def test_every_cli_month_option_reads_both_forms():
    """The one callback of the month options (amip.clikit.month_value) hands the command
    ``YYYY-MM``, for one value and for a repeated option."""
    from typer.testing import CliRunner

    app = typer.Typer()

    @app.command()
    def show(
        month: Annotated[str, typer.Option("--month", callback=month_value)],
        also: Annotated[list[str] | None, typer.Option("--also", callback=month_value)] = None,
    ) -> None:
        print(month, *(also or []))

    res = CliRunner().invoke(app, ["--month", "12/2022", "--also", "1/2023", "--also", "2023-02"])
    assert res.exit_code == 0 and res.output.strip() == "2022-12 2023-01 2023-02"
    res = CliRunner().invoke(app, ["--month", "2022-13"])
    assert res.exit_code == 1 and "--month '2022-13' is not a month" in res.output
