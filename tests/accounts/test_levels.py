"""The rule for moving up or stepping back a level, edge by edge."""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from accounts.levels import LevelRecord, Move, suggestion
from exercises.cache import Rung
from exercises.screening import Screening

BEGINNER = Rung(1, "beginner", "Beginner", "Beginner", "about 7 minutes")
INTERMEDIATE = Rung(
    2, "intermediate", "Intermediate", "Intermediate", "about 4 minutes"
)
ADVANCED = Rung(3, "advanced", "Advanced", "Advanced", "about 9 minutes")
LADDER = [BEGINNER, INTERMEDIATE, ADVANCED]
START = datetime(2026, 11, 2, 18, tzinfo=ZoneInfo("UTC"))
CALM = ((3, 3), (4, 3), (2, 3))
CLEARED = Screening(signed_in=True, answered=True)
RED_FLAG = Screening(
    signed_in=True, answered=True, applies=frozenset({9}), red_flags=(object(),)
)


class Consult:
    pk = 7
    severity = "consult"


PENDING = Screening(signed_in=True, answered=True, applies=frozenset({7}))


def person(level=BEGINNER, declined=None):
    return SimpleNamespace(level_id=level.pk, level_declined_at=declined)


def record(count=6, days=14, recent=CALM):
    return LevelRecord(count, START, START + timedelta(days=days), recent)


# (case, level, record, screening, expected move, expected routine)
CASES = [
    (
        "exactly 6 sessions over 14 days",
        BEGINNER,
        record(),
        CLEARED,
        Move.UP,
        INTERMEDIATE,
    ),
    ("5 sessions are not enough", BEGINNER, record(count=5), CLEARED, None, None),
    ("13 days are not enough", BEGINNER, record(days=13), CLEARED, None, None),
    (
        "13 days and 23 hours are not enough",
        BEGINNER,
        LevelRecord(6, START, START + timedelta(days=14, hours=-1), CALM),
        CLEARED,
        None,
        None,
    ),
    (
        "pain +1 still moves up",
        BEGINNER,
        record(recent=((3, 4), (3, 4), (3, 4))),
        CLEARED,
        Move.UP,
        INTERMEDIATE,
    ),
    (
        "pain +2 once holds back",
        BEGINNER,
        record(recent=((3, 5), (3, 3), (3, 3))),
        CLEARED,
        None,
        None,
    ),
    (
        "no ratings are no flare",
        BEGINNER,
        record(recent=((None, None),) * 3),
        CLEARED,
        Move.UP,
        INTERMEDIATE,
    ),
    ("a red flag holds back", BEGINNER, record(), RED_FLAG, None, None),
    ("a pending clearance holds back", BEGINNER, record(), PENDING, None, None),
    ("the top level has no next", ADVANCED, record(), CLEARED, None, None),
    (
        "two of three flares step back",
        INTERMEDIATE,
        record(recent=((2, 5), (3, 3), (4, 7))),
        CLEARED,
        Move.BACK,
        BEGINNER,
    ),
    (
        "a rise of 3 is a flare",
        INTERMEDIATE,
        record(count=2, recent=((2, 5), (2, 5), (3, 3))),
        CLEARED,
        Move.BACK,
        BEGINNER,
    ),
    (
        "pain 7 of 10 is a flare",
        ADVANCED,
        record(count=2, recent=((7, 7), (6, 7), (3, 3))),
        CLEARED,
        Move.BACK,
        INTERMEDIATE,
    ),
    (
        "one of three flares does not",
        INTERMEDIATE,
        record(count=2, recent=((2, 5), (3, 3), (3, 3))),
        CLEARED,
        None,
        None,
    ),
    (
        "a rise of 2 and pain 6 are no flare",
        INTERMEDIATE,
        record(count=2, recent=((4, 6), (4, 6), (4, 6))),
        CLEARED,
        None,
        None,
    ),
    (
        "flares at the lowest level: a clinician",
        BEGINNER,
        record(recent=((1, 8), (2, 7), (3, 3))),
        CLEARED,
        Move.CLINICIAN,
        None,
    ),
    (
        "flares step back even with a red flag",
        INTERMEDIATE,
        record(recent=((1, 8), (2, 7))),
        RED_FLAG,
        Move.BACK,
        BEGINNER,
    ),
]


@pytest.mark.parametrize(
    "level, record, screening, move, routine",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_rule(level, record, screening, move, routine):
    found = suggestion(
        person(level),
        record,
        ladder=LADDER,
        screening=screening,
        warnings_of=lambda routine: [Consult()],
    )

    assert (found.move if found else None) == move
    assert (found.routine if found else None) == routine


def test_moving_up_says_why_with_the_figures():
    found = suggestion(
        person(), record(count=8, days=20), ladder=LADDER, screening=CLEARED
    )

    assert found.reason == (
        "You completed the Beginner routine 8 times over 20 days, and your pain "
        "did not rise by more than 1 point in your last 3 sessions: you may be "
        "ready for the Intermediate routine."
    )


def test_stepping_back_says_why_and_names_a_clinician_if_it_persists():
    found = suggestion(
        person(INTERMEDIATE),
        record(recent=((2, 5), (3, 3), (4, 7))),
        ladder=LADDER,
        screening=CLEARED,
    )

    assert "after 2 of your last 3 sessions" in found.reason
    assert "try the Beginner routine" in found.reason
    assert "see a doctor or physiotherapist if it goes on" in found.reason


@pytest.mark.parametrize(
    "declined, count, asked",
    [(6, 6, False), (6, 8, False), (6, 9, True), (None, 6, True)],
)
def test_not_yet_is_asked_again_after_3_more_sessions(declined, count, asked):
    found = suggestion(
        person(declined=declined),
        record(count=count),
        ladder=LADDER,
        screening=CLEARED,
    )

    assert (found is not None) == asked
