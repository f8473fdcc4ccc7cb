"""Durations as a person reads them (exercises/durations.py)."""

from datetime import timedelta

import pytest

from exercises.durations import format_duration


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
