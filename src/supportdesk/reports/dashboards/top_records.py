"""The records and accounts with the most cases raised in a period, for a team.

One read of the index `case_team_created_record` (team, created_at, record, request type,
priority): the team's cases of the period counted per record without touching the table; the
accounts are then the records' own (an account) or their parent account, summed in Python from
those counts. Only the ten names shown are read from the records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from django.db.models import Count

from supportdesk.cases.models import Case
from supportdesk.records.models import ACCOUNT_KINDS, Record
from supportdesk.reports.blocks import Chart, Series
from supportdesk.reports.filters import ReportFilters
from supportdesk.reports.queries import narrowed

TOP = 10
CHUNK = 500  # record ids per IN (…) when mapping records to their accounts


def top_charts(filters: ReportFilters) -> list[Chart]:
    """ "Records with the most cases" and "Accounts with the most cases"."""
    per_record = _cases_per_record(filters)
    per_account: Counter[int] = Counter()
    for record_id, account_id in _accounts_of(list(per_record)):
        if account_id is not None:
            per_account[account_id] += per_record[record_id]
    records = _top(per_record)
    accounts = _top(per_account)
    shown = Record.objects.in_bulk([pk for pk, _ in records + accounts])
    return [
        _chart(filters, "top_records", "Records with the most cases", "record", records, shown),
        _chart(
            filters,
            "top_accounts",
            "Accounts with the most cases",
            "account",
            accounts,
            shown,
            note="The account's own cases and those of its opportunities, contacts and other "
            "records.",
        ),
    ]


def _cases_per_record(filters: ReportFilters) -> Counter[int]:
    rows = (
        narrowed(
            Case.objects.filter(
                created_at__gte=filters.start_at,
                created_at__lt=filters.end_before,
                record__isnull=False,
            ),
            filters,
        )
        .order_by()
        .values_list("record_id")
        .annotate(n=Count("*"))  # not COUNT(id): PostgreSQL's index holds no id
    )
    return Counter(dict(rows))


def _accounts_of(record_ids: list[int]) -> Iterator[tuple[int, int | None]]:
    """(record, its account): itself for an account, else its parent account (or None)."""
    for chunk in _chunks(record_ids, CHUNK):
        rows = Record.objects.filter(pk__in=chunk).values_list("pk", "kind", "account_id")
        for pk, kind, account_id in rows:
            yield pk, pk if kind in ACCOUNT_KINDS else account_id


def _top(counts: Counter[int]) -> list[tuple[int, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]


def _chart(
    filters: ReportFilters,
    key: str,
    title: str,
    parameter: str,
    top: list[tuple[int, int]],
    shown: dict[int, Record],
    note: str = "",
) -> Chart:
    return Chart(
        key,
        title,
        "bar",
        [shown[pk].name for pk, _ in top],
        [
            Series(
                "cases",
                "Cases",
                [n for _, n in top],
                [filters.cases_url((parameter, shown[pk].external_id)) for pk, _ in top],
            )
        ],
        note=note,
    )


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    return (items[i : i + size] for i in range(0, len(items), size))
