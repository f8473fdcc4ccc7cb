"""Durations as a person reads them."""

from datetime import timedelta

from django.utils.translation import gettext, ngettext


def format_duration(delta):
    """“1 h 5 min”, “12 min 30 s”, “45 s”: short enough for a phone screen."""
    seconds = max(0, int(delta.total_seconds()))
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if hours:
        return gettext("%(hours)s h %(minutes)s min") % {
            "hours": hours,
            "minutes": minutes,
        }
    if minutes:
        if seconds:
            return gettext("%(minutes)s min %(seconds)s s") % {
                "minutes": minutes,
                "seconds": seconds,
            }
        return gettext("%(minutes)s min") % {"minutes": minutes}
    return gettext("%(seconds)s s") % {"seconds": seconds}


def seconds_text(seconds):
    """A time measured in seconds as ``format_duration``'s, or "" when not measured."""
    return "" if seconds is None else format_duration(timedelta(seconds=seconds))


def about_minutes(shortest, longest=None):
    """
    “about 15 minutes”, or “about 25–35 minutes” for a range: seconds to the
    nearest minute, and never less than one (a routine takes some time).
    """

    def minutes(seconds):
        return max(1, (int(seconds) + 30) // 60)

    low = minutes(shortest)
    high = low if longest is None else minutes(longest)
    if high == low:
        return ngettext("about %(n)s minute", "about %(n)s minutes", low) % {"n": low}
    return ngettext(
        "about %(low)s–%(high)s minute", "about %(low)s–%(high)s minutes", high
    ) % {"low": low, "high": high}
