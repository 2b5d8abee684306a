"""Rollups: per day (and per month) × team × request type × sub-request × priority sums of
what every case contributes.

`reports.rollups` keeps them in the transactions that change cases and defines each measure;
`CaseRollupState` remembers what each case contributed last, so a change retracts exactly that.
`MonthlyRollup` holds the same sums per calendar month, so a long range reads a row a month.
"""

from __future__ import annotations

from django.db import models

# Business-time histograms: bucket 0 is under one minute, the last is 2**16 minutes and more,
# the others are a third of an octave wide (see rollups.BUCKET_BOUNDS and rollups.percentile).
BUCKETS = 50
FRT_BUCKETS = tuple(f"frt_{i:02d}" for i in range(BUCKETS))
RES_BUCKETS = tuple(f"res_{i:02d}" for i in range(BUCKETS))
COUNTS = (
    "opened",
    "raised",
    "moved_out",
    "info_needed",
    "urgent_requested",
    "downgraded",
    "moved",
    "responded",
    "frt_seconds",
    "closed",
    "sla_met",
    "sla_breached",
    "duplicates",
    "res_seconds",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)
MEASURES = (*COUNTS, *FRT_BUCKETS, *RES_BUCKETS)


class Rollup(models.Model):
    """Sums of the cases' contributions for one key: `day` (a month's first day in
    MonthlyRollup) × team × request type × sub-request × priority.

    Measures by the day the case was **created**, under its current key: opened, info_needed,
    urgent_requested, downgraded, moved (it arrived by a move), responded / frt_seconds / frt_*
    (first response); under the key it was **first raised** with: raised, moved_out (it has
    since gone to another team). By the day it **closed**: closed, sla_met, sla_breached,
    duplicates, res_seconds / res_* (resolution), rating_1…rating_5. Definitions:
    `supportdesk.reports.rollups`.
    """

    day = models.DateField()
    team = models.ForeignKey("people.Team", on_delete=models.CASCADE, db_index=False)
    request_type = models.ForeignKey(
        "catalog.RequestType", on_delete=models.CASCADE, db_index=False
    )
    # Not a foreign key: 0 stands for "no sub-request", as a unique key needs a value.
    sub_request_id = models.IntegerField(default=0)
    priority = models.CharField(max_length=10)
    opened = models.IntegerField(default=0)
    raised = models.IntegerField(default=0)
    moved_out = models.IntegerField(default=0)
    info_needed = models.IntegerField(default=0)
    urgent_requested = models.IntegerField(default=0)
    downgraded = models.IntegerField(default=0)
    moved = models.IntegerField(default=0)
    responded = models.IntegerField(default=0)
    frt_seconds = models.BigIntegerField(default=0)
    closed = models.IntegerField(default=0)
    sla_met = models.IntegerField(default=0)
    sla_breached = models.IntegerField(default=0)
    duplicates = models.IntegerField(default=0)
    res_seconds = models.BigIntegerField(default=0)
    rating_1 = models.IntegerField(default=0)
    rating_2 = models.IntegerField(default=0)
    rating_3 = models.IntegerField(default=0)
    rating_4 = models.IntegerField(default=0)
    rating_5 = models.IntegerField(default=0)
    # frt_00 … frt_49 and res_00 … res_49: histogram bucket counts.
    locals().update({name: models.IntegerField(default=0) for name in FRT_BUCKETS + RES_BUCKETS})

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team", "request_type", "sub_request_id", "priority"],
                name="%(class)s_key",
            )
        ]
        # A date range for a set of teams (the unique key serves a range over all teams).
        indexes = [models.Index(fields=["team", "day"], name="%(class)s_team_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.request_type_id}/{self.sub_request_id}"


class DailyRollup(Rollup):
    """One local day's sums."""


class MonthlyRollup(Rollup):
    """One calendar month's sums (`day` is its first day): the DailyRollup rows of the month,
    added up, kept in the same transactions."""


class CaseRollupState(models.Model):
    """The facts of a case that its last contribution to the rollups was computed from."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="rollup_state"
    )
    team_pk = models.IntegerField()
    request_type_pk = models.IntegerField()
    sub_request_pk = models.IntegerField(default=0)
    priority = models.CharField(max_length=10)
    created_day = models.DateField()
    closed_day = models.DateField(null=True)
    flags = models.PositiveSmallIntegerField(default=0)
    frt_seconds = models.BigIntegerField(null=True)
    res_seconds = models.BigIntegerField(null=True)
    rating = models.PositiveSmallIntegerField(null=True)
    # The team, request type and sub-request it was first raised with, when it was moved since.
    origin_team_pk = models.IntegerField(null=True)
    origin_request_type_pk = models.IntegerField(null=True)
    origin_sub_request_pk = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"rollup state of {self.case_id}"
