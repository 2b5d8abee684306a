"""What a dashboard is made of, the same for its page, its CSV and its API: figures (one number
each), charts (categories × series, drawn and shown as a table), plain tables and activity
lists. Every number carries the link to the list of exactly its cases."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Any

from supportdesk.lists.export import neutralised


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | int | None  # None: nothing to measure (e.g. no closed cases)
    unit: str = ""  # "", "%", "h" (hours)
    url: str = ""  # the cases behind the number
    note: str = ""

    @property
    def display(self) -> str:
        if self.value is None:
            return "—"
        number = f"{self.value:.1f}" if isinstance(self.value, float) else str(self.value)
        return f"{number}%" if self.unit == "%" else f"{number} {self.unit}".strip()


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: list[float | int | None]
    urls: list[str] = field(default_factory=list)  # one per category ("" for none)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str  # "bar", "stacked" (stacked bars) or "line"
    categories: list[str]
    series: list[Series]
    unit: str = ""
    note: str = ""

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Category by category, for the table alternative."""
        return [
            {
                "category": category,
                "cells": [(s.values[i], s.urls[i] if i < len(s.urls) else "") for s in self.series],
            }
            for i, category in enumerate(self.categories)
        ]


@dataclass(frozen=True)
class Cell:
    value: str | float | int | None
    url: str = ""


@dataclass(frozen=True)
class Table:
    """A plain list (e.g. request types never used): rows of cells under column headings."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""


@dataclass(frozen=True)
class ActivityItem:
    at: Any  # an aware datetime
    case: str  # number
    url: str
    text: str


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    figures: list[Figure]
    charts: list[Chart] = field(default_factory=list)
    activity: list[ActivityItem] = field(default_factory=list)
    subtitle: str = ""
    tables: list[Table] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def chart(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def chart_csv(chart: Chart) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_text(chart.title), *(_text(s.label) for s in chart.series)])
    for i, category in enumerate(chart.categories):
        writer.writerow([_text(category), *(_cell(s.values[i]) for s in chart.series)])
    return out.getvalue()


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_text(table.title)])
    writer.writerow([_text(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([_cell(cell.value) for cell in row])
    return out.getvalue()


def dashboard_csv(dashboard: Dashboard) -> str:
    """The whole dashboard: its figures, then each chart's table and each list."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_text(dashboard.title)])
    writer.writerow(["Figure", "Value", "Unit"])
    for figure in dashboard.figures:
        writer.writerow([_text(figure.label), _cell(figure.value), _text(figure.unit)])
    for chart in dashboard.charts:
        writer.writerow([])
        out.write(chart_csv(chart))
    for table in dashboard.tables:
        writer.writerow([])
        out.write(table_csv(table))
    return out.getvalue()


def _cell(value: str | float | int | None) -> str:
    """Numbers as numbers; text (names people typed) never as a spreadsheet formula."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value) if isinstance(value, int) else _text(value)


def _text(value: Any) -> str:
    return neutralised(str(value))
