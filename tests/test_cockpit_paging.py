"""The paging and sorting helpers every long list of the cockpit shares (cockpit/params.py): page
numbers, the rows a page shows, the links a pager offers, bad page numbers, sort parameters."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from amip.cockpit.params import Page, paged_name, pick_page, pick_sort, query_string


def test_pages_of_50_rows():
    p = pick_page("2", 10_484)
    assert (p.pages, p.offset, p.size, p.first, p.last) == (210, 50, 50, 51, 100)
    last = pick_page("210", 10_484)  # 209 * 50 = 10 450 rows before it
    assert (last.offset, last.first, last.last) == (10_450, 10_451, 10_484)
    assert pick_page("999", 10_484).number == 210  # past the end: the last page
    assert pick_page(None, 0) == Page(1, 50, 0) and (Page(1, 50, 0).first, Page(1, 50, 0).last) == (0, 0)
    assert pick_page("", 50).pages == 1 and pick_page("", 51).pages == 2


@pytest.mark.parametrize("bad", ["0", "-1", "1.5", "zwei", "٣", "²", " 1", "1" + "0" * 10])
def test_a_page_number_must_be_a_whole_number_from_1(bad):
    with pytest.raises(HTTPException) as exc:
        pick_page(bad, 100)
    assert exc.value.status_code == 400 and "Seitenzahl" in exc.value.detail


def test_pager_links_first_last_and_two_around_the_current_page():
    assert Page(1, 50, 120).links() == [1, 2, 3]
    assert Page(1, 50, 10_484).links() == [1, 2, 3, None, 210]
    assert Page(7, 50, 10_484).links() == [1, None, 5, 6, 7, 8, 9, None, 210]
    assert Page(210, 50, 10_484).links() == [1, None, 208, 209, 210]
    assert Page(4, 50, 10_484).links() == [1, 2, 3, 4, 5, 6, None, 210]
    assert (
        paged_name("Liste", Page(2, 50, 120)) == "Liste, Seite 2 von 3"
        and paged_name("Liste", Page(1, 50, 9)) == "Liste"
    )


def test_sort_parameter_direction_toggle_and_aria():
    s = pick_sort(None, ("month", "rule"), "-month")
    assert (s.key, s.descending, s.param, s.aria("month"), s.aria("rule")) == (
        "month",
        True,
        "-month",
        "descending",
        None,
    )
    assert s.toggle("month") == "month" and s.toggle("rule") == "rule"
    up = pick_sort("rule", ("month", "rule"), "-month")
    assert (up.aria("rule"), up.toggle("rule")) == ("ascending", "-rule")
    with pytest.raises(HTTPException) as exc:
        pick_sort("-person", ("month", "rule"), "-month")
    assert exc.value.status_code == 404
    assert query_string({"rule": "DQ05", "team": "T 1&2", "age": None, "status": ""}) == "rule=DQ05&team=T+1%262"
