"""Job frequencies -> cron: five-field cron, `N-minutes` shorthand, six-field with seconds 0."""

from __future__ import annotations

import re

from croniter import croniter

SHORTHAND = re.compile(r"^\s*(\d+)\s*-\s*(minute|hour|day|week|month|year)s?\s*$", re.IGNORECASE)
ACCEPTED = (
    "a five-field cron ('*/15 * * * *'), a six-field cron with seconds 0 ('0 0 9 * * *'), "
    "or N-minutes, N-hours, N-days, N-weeks, N-months, N-years"
)
MANUAL = {"", "@manual", "manual"}


class FrequencyError(ValueError):
    pass


def _shorthand(count: int, unit: str) -> str:
    if count < 1:
        raise FrequencyError("the count of a frequency must be at least 1")
    unit = unit.lower()
    if unit == "minute":
        if count >= 60 or 60 % count:
            # */N only repeats evenly for divisors of 60; larger steps become hourly forms.
            if count % 60 == 0:
                return _shorthand(count // 60, "hour")
            raise FrequencyError(f"{count}-minutes does not divide an hour; use a cron instead")
        return f"*/{count} * * * *" if count > 1 else "* * * * *"
    if unit == "hour":
        if count >= 24 and count % 24 == 0:
            return _shorthand(count // 24, "day")
        if count > 23:
            raise FrequencyError(f"{count}-hours is longer than a day; use N-days")
        return f"0 */{count} * * *" if count > 1 else "0 * * * *"
    if unit == "day":
        return f"0 0 */{count} * *" if count > 1 else "0 0 * * *"
    if unit == "week":
        if count != 1:
            return f"0 0 */{7 * count} * *"
        return "0 0 * * 0"
    if unit == "month":
        return f"0 0 1 */{count} *" if count > 1 else "0 0 1 * *"
    return "0 0 1 1 *"  # years: Prefect cron has no year field; yearly is the closest


def to_cron(frequency: str | None) -> str | None:
    """The five-field cron of a frequency, None for manual-only jobs; FrequencyError otherwise."""
    if frequency is None or frequency.strip().lower() in MANUAL:
        return None
    text = frequency.strip()
    match = SHORTHAND.match(text)
    if match:
        return _shorthand(int(match.group(1)), match.group(2))
    fields = text.split()
    if len(fields) == 6:
        seconds, fields = fields[0], fields[1:]
        if seconds not in ("0", "00"):
            raise FrequencyError(
                f"'{frequency}' runs at second {seconds}; Prefect schedules have minute "
                "resolution, so the seconds field must be 0"
            )
    if len(fields) != 5 or not croniter.is_valid(" ".join(fields)):
        raise FrequencyError(f"'{frequency}' is not a valid frequency; use {ACCEPTED}")
    return " ".join(fields)
