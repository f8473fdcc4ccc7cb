"""Durations as a person reads them."""


def format_duration(delta):
    """“1 h 5 min”, “12 min 30 s”, “45 s”: short enough for a phone screen."""
    seconds = max(0, int(delta.total_seconds()))
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"
