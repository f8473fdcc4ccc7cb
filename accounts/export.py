"""
A person's data as files to download: their completed sessions as CSV, and
everything kept about them as JSON, each written a row at a time.
"""

import csv
import itertools
import json
import re

from django.utils import timezone

from .models import CompletedSession

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet that splits on another separator (a “;” in much of Europe)
# starts a new cell after it, quotes or not: a formula may start there too.
FORMULA_AFTER_SEPARATOR = re.compile(r'([,;\t\r\n][ \t]*"?)(?=[=+\-@])')


def csv_cell(value):
    """Neutralise text a spreadsheet would run as a formula, wherever a cell may start."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)


class Echo:
    """A file that hands back what is written: ``csv.writer`` then makes lines."""

    def write(self, value):
        return value


CSV_HEADER = [
    "date",
    "started",
    "started_at",
    "routine",
    "duration_minutes",
    "pain_before",
    "pain_after",
    "steps_done",
    "steps_skipped",
    "steps_skipped_for_safety",
    "notes",
]


def csv_rows(completed_sessions, zone):
    """The rows of the CSV export, dates and times in ``zone``."""
    yield CSV_HEADER
    for completed in completed_sessions:
        started = timezone.localtime(completed.started_at, zone)
        yield [
            csv_cell(value)
            for value in (
                started.date().isoformat(),
                started.strftime("%H:%M"),
                started.isoformat(),
                completed.routine_title,
                round(completed.duration.total_seconds() / 60, 1),
                completed.pain_before,
                completed.pain_after,
                completed.steps_done,
                completed.steps_skipped,
                completed.steps_skipped_for_safety,
                completed.notes,
            )
        ]


def csv_lines(user):
    """
    The person's completed sessions as CSV lines, newest first: a byte-order
    mark first, so that Excel reads UTF-8, and every cell quoted.
    """
    completed_sessions = (
        CompletedSession.objects.for_user(user)
        .newest_first()
        .with_step_counts()
        .iterator(chunk_size=500)
    )
    writer = csv.writer(Echo(), quoting=csv.QUOTE_ALL)
    # In the person's zone: written after the middleware has let go of it.
    rows = csv_rows(completed_sessions, user.zone)
    return itertools.chain(["\ufeff"], (writer.writerow(row) for row in rows))


def json_chunks(user):
    """Everything kept about the person as one JSON object, a session at a time."""
    # The object without its closing brace; the sessions end it.
    yield json.dumps(user.personal_data())[:-1] + ', "sessions": ['
    completed_sessions = CompletedSession.objects.for_user(user).exported(user.zone)
    for number, completed in enumerate(completed_sessions):
        yield ("," if number else "") + "\n" + json.dumps(completed)
    yield "\n]}\n"
