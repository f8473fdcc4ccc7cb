"""
A step's dose in words (``RoutineStep.dose_text``) in both languages: each
kind of dose is one translatable sentence with its plural forms, the same
English as before, and the Chinese of fixtures/zh-hans/CHECK.md's dose table.
"""

import pytest
from django.utils import translation

from tests.factories import step_with

# (dose, English, Simplified Chinese), a row for each kind of dose.
DOSES = [
    # Counted: ankle pumps, heel slides, heel raises.
    ({"repetitions": 10}, "10 repetitions", "10 次"),
    ({"repetitions": 1}, "1 repetition", "1 次"),
    # Held: abdominal contraction, wall squats, straight-leg raises.
    (
        {"repetitions": 10, "hold_seconds": 5},
        "10 repetitions, hold 5 seconds each",
        "10 次，每次保持 5 秒",
    ),
    (
        {"repetitions": 1, "hold_seconds": 1},
        "1 repetition, hold 1 second each",
        "1 次，每次保持 1 秒",
    ),
    # Held on each side: knee to chest, hip flexor and piriformis stretches.
    (
        {"repetitions": 5, "hold_seconds": 20, "each_side": True},
        "5 repetitions each side, hold 20 seconds",
        "每侧 5 次，每次保持 20 秒",
    ),
    (
        {"repetitions": 1, "hold_seconds": 1, "each_side": True},
        "1 repetition each side, hold 1 second",
        "每侧 1 次，每次保持 1 秒",
    ),
    # Counted on each side.
    ({"repetitions": 5, "each_side": True}, "5 repetitions each side", "每侧 5 次"),
    # Timed: the stationary bike, the treadmill.
    (
        {"duration_min_minutes": 20, "duration_max_minutes": 30},
        "20–30 minutes",
        "20–30 分钟",
    ),
    ({"duration_min_minutes": 20}, "20 minutes", "20 分钟"),
    ({"duration_min_minutes": 1}, "1 minute", "1 分钟"),
]


@pytest.mark.parametrize(("dose", "english", "chinese"), DOSES)
def test_the_dose_is_english_by_default(dose, english, chinese):
    with translation.override("en"):
        assert step_with(**dose).dose_text == english


@pytest.mark.parametrize(("dose", "english", "chinese"), DOSES)
def test_the_dose_is_in_chinese_under_zh_hans(dose, english, chinese):
    with translation.override("zh-hans"):
        assert step_with(**dose).dose_text == chinese


def test_the_dose_follows_the_active_language_each_time_it_is_read():
    step = step_with(repetitions=10, hold_seconds=5)

    with translation.override("zh-hans"):
        assert step.dose_text == "10 次，每次保持 5 秒"
    with translation.override("en"):
        assert step.dose_text == "10 repetitions, hold 5 seconds each"
