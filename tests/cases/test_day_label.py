"""day_label: what `{{ value|date:"j M Y" }}` shows, without the template filter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from supportdesk.cases.display.formatting import day_label

MOMENTS = [
    dt.datetime(2026, 1, 1, 0, 30, tzinfo=dt.UTC),  # the day before in New York
    dt.datetime(2026, 5, 9, 23, 45, tzinfo=dt.UTC),  # the day after in Tokyo
    dt.datetime(987, 12, 31, 12, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 9, 3, 8, 0),  # noqa: DTZ001 -- naive: shown as it is
    dt.date(2026, 3, 4),  # a date (the lists' date columns)
]


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
@pytest.mark.parametrize("language", ["en-us", "de"])
def test_day_label_is_what_the_date_filter_shows(zone, language):
    template = Template('{{ value|date:"j M Y" }}')
    with timezone.override(zone), translation.override(language):
        for value in MOMENTS:
            assert day_label(value) == template.render(Context({"value": value}))
