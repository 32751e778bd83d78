"""The shared value helpers of amip.format: one NaN test and one relative change for every display."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from amip import format as fmt


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
