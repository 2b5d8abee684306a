"""Benchmark: the SLA clock's costs — keeping it on a status change, the sweep, the case panel.

    python bench/sla.py                # a throw-away SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1/bench python bench/sla.py

Builds --cases open cases of one team (copies of one submitted case, created over the last
--days days so their clocks stand anywhere between on track and breached), then measures:

- refresh: `refresh_case_sla` after a status change (pause reconciled, clock recomputed,
  columns written) — ms per case, p50 / p99;
- sweep: `sweep()` moving every due case forward with its warning or escalation (notification
  rows and feed events included) — cases/s;
- panel: `sla_panel` as the case page builds it — ms per case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import time

import seed_data
from _common import database_name, pct, throwaway_env


def build(n: int, days: float, seed: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from supportdesk.cases.models import Case, Priority
    from supportdesk.cases.services import submit_case
    from supportdesk.catalog.queries import resolve_choice
    from supportdesk.people.models import Membership, Team
    from supportdesk.records.models import Record

    users = get_user_model().objects
    rep = users.create_user("rep", "rep@example.org", "x")
    desk = Team.objects.get(name="Deal Desk")
    for name, role in (("agent", Membership.Role.AGENT), ("lead", Membership.Role.LEAD)):
        user = users.create_user(name, f"{name}@example.org")
        Membership.objects.create(user=user, team=desk, role=role)
    record = Record.objects.create(kind="opportunity", name="Bench", external_id="B1", owner=rep)
    choice = resolve_choice(
        "opportunity", team="Deal Desk", request_type="Quote Help", sub_request="Quote Question"
    )
    template = submit_case(
        rep,
        record=record,
        request_type=choice.request_type,
        sub_request=choice.sub_request,
        description="Bench",
        answers={"quote_url": "https://crm.example.com/q/1"},
    ).case
    rng = random.Random(seed)
    now = timezone.now()
    rows = []
    for i in range(n):
        created = now - dt.timedelta(seconds=rng.uniform(0, days * 86400))
        rows.append(
            Case(
                record=record,
                team=desk,
                request_type=template.request_type,
                sub_request=template.sub_request,
                subject=f"Bench {i}",
                description="Bench",
                details=template.details,
                priority=rng.choice(Priority.values),
                requester=rep,
                created_at=created,
                updated_at=created,
            )
        )
    return [c.pk for c in Case.objects.bulk_create(rows, batch_size=1000)]


def _ms(timings: list[float], p: float) -> str:
    return f"{pct(sorted(timings), p):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--days", type=float, default=10)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    env, tmp = throwaway_env()
    try:
        seed_data.setup_django(env)
        seed_data.migrate()
        from django.db import transaction
        from django.utils import timezone

        from supportdesk.cases.models import Case, SlaStage
        from supportdesk.notify.models import Notification
        from supportdesk.sla.display import sla_panel
        from supportdesk.sla.engine import refresh_case_sla, sweep

        pks = build(args.cases, args.days, args.seed)
        print(f"supportdesk SLA benchmark — database {database_name()}, {len(pks)} open cases")

        timings = []
        for case in Case.objects.filter(pk__in=pks).order_by("pk"):
            started = time.perf_counter()
            with transaction.atomic():
                refresh_case_sla(case)
            timings.append(time.perf_counter() - started)
        print(
            f"refresh:  {_ms(timings, 0.5)} ms p50  {_ms(timings, 0.99)} ms p99 per case "
            f"({len(timings)} cases)"
        )

        due = Case.objects.filter(sla_check_at__isnull=False).count()
        started = time.perf_counter()
        total = 0
        while Case.objects.filter(sla_check_at__lte=timezone.now()).exists():
            total += sweep()
        elapsed = time.perf_counter() - started
        at_risk = Case.objects.filter(sla_stage=SlaStage.AT_RISK).count()
        breached = Case.objects.filter(sla_stage=SlaStage.BREACHED).count()
        print(
            f"sweep:    {total / elapsed:.0f} cases/s ({total} moved of {due} due in "
            f"{elapsed:.2f} s; {at_risk} at risk, {breached} breached, "
            f"{Notification.objects.count()} notifications)"
        )

        timings = []
        for case in Case.objects.filter(pk__in=pks[:1000]).select_related("team"):
            started = time.perf_counter()
            sla_panel(case)
            timings.append(time.perf_counter() - started)
        print(f"panel:    {_ms(timings, 0.5)} ms p50  {_ms(timings, 0.99)} ms p99 per case")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
