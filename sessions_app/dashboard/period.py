"""The period a dashboard covers: the last 7, 30 or 90 days, today included, in the server's TIME_ZONE."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

CHOICES = (7, 30, 90)
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    days: int
    first_day: date

    @property
    def start(self) -> datetime:
        """Midnight of the first day, in the current time zone (TIME_ZONE)."""
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        """Midnight after the last day (exclusive)."""
        return timezone.make_aware(datetime.combine(self.first_day + timedelta(days=self.days), time.min))

    @property
    def dates(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.days)]


def period_from(value: str | None, *, today: date | None = None) -> Period:
    """The period a ``days`` parameter names; anything but a listed choice is the default."""
    days = int(value) if value in {str(choice) for choice in CHOICES} else DEFAULT_DAYS
    today = today or timezone.localdate()
    return Period(days=days, first_day=today - timedelta(days=days - 1))
