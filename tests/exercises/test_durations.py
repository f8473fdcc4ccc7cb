"""Durations as a person reads them (exercises/durations.py)."""

from datetime import timedelta

import pytest

from exercises.durations import about_minutes, format_duration


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=30), "12 min 30 s"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(hours=1, minutes=5), "1 h 5 min"),
        (timedelta(hours=1, minutes=5, seconds=59), "1 h 5 min"),
        (timedelta(hours=2), "2 h 0 min"),
        (timedelta(seconds=59, milliseconds=999), "59 s"),
        (timedelta(0), "0 s"),
        (timedelta(seconds=-5), "0 s"),
        (timedelta(days=-1), "0 s"),
    ],
)
def test_a_duration_reads_in_hours_minutes_and_seconds(delta, text):
    assert format_duration(delta) == text


@pytest.mark.parametrize(
    "shortest, longest, text",
    [
        (411, None, "about 7 minutes"),  # 6 min 51 s
        (411, 411, "about 7 minutes"),
        (390, None, "about 7 minutes"),  # half a minute rounds up
        (389, None, "about 6 minutes"),
        (60, None, "about 1 minute"),
        (5, None, "about 1 minute"),  # never “about 0 minutes”
        (0, None, "about 1 minute"),
        (842, 1142, "about 14–19 minutes"),
        (2400, 3600, "about 40–60 minutes"),
        (600, 610, "about 10 minutes"),  # a range within the same minute
    ],
)
def test_a_time_reads_in_whole_minutes_about_and_at_least_one(shortest, longest, text):
    assert about_minutes(shortest, longest) == text


def test_a_range_of_minutes_uses_an_en_dash():
    assert about_minutes(1200, 1800) == "about 20\u201330 minutes"
