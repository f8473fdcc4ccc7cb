"""The forms on their own: what they show before a browser sends them."""

from datetime import UTC, datetime

from django.utils import timezone

from accounts.forms import SessionLogForm


def test_the_log_forms_date_and_time_follow_the_active_time_zone(monkeypatch):
    # 10:00 on 10 March in UTC is already midnight on 11 March on Kiritimati.
    monkeypatch.setattr(
        timezone, "now", lambda: datetime(2026, 3, 10, 10, 0, 27, tzinfo=UTC)
    )

    with timezone.override("Pacific/Kiritimati"):
        form = SessionLogForm()
        date_tag, time_tag = str(form["date"]), str(form["time"])

    assert 'value="2026-03-11"' in date_tag
    assert 'value="00:00"' in time_tag
