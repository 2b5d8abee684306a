"""Rollups: per day × team × request type × priority sums of what every case contributes.

`reports.rollups` keeps them in the transactions that change cases and defines each measure;
`CaseRollupState` remembers what each case contributed last, so a change retracts exactly that.
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


class DailyRollup(models.Model):
    """Sums of the cases' contributions for one day × team × request type × priority.

    Measures by the day the case was **created**: opened, info_needed, urgent_requested,
    downgraded, moved, responded / frt_seconds / frt_* (first response). By the day it
    **closed**: closed, sla_met, sla_breached, duplicates, res_seconds / res_* (resolution),
    rating_1…rating_5. Definitions: `supportdesk.reports.rollups`.
    """

    day = models.DateField()
    team = models.ForeignKey("people.Team", on_delete=models.CASCADE, db_index=False)
    request_type = models.ForeignKey(
        "catalog.RequestType", on_delete=models.CASCADE, db_index=False
    )
    priority = models.CharField(max_length=10)
    opened = models.IntegerField(default=0)
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
        constraints = [
            models.UniqueConstraint(
                fields=["day", "team", "request_type", "priority"], name="dailyrollup_key"
            )
        ]
        # A date range for a set of teams (the unique key serves a range over all teams).
        indexes = [models.Index(fields=["team", "day"], name="dailyrollup_team_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.team_id}/{self.request_type_id}/{self.priority}"


class CaseRollupState(models.Model):
    """The facts of a case that its last contribution to the rollups was computed from."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="rollup_state"
    )
    team_pk = models.IntegerField()
    request_type_pk = models.IntegerField()
    priority = models.CharField(max_length=10)
    created_day = models.DateField()
    closed_day = models.DateField(null=True)
    flags = models.PositiveSmallIntegerField(default=0)
    frt_seconds = models.BigIntegerField(null=True)
    res_seconds = models.BigIntegerField(null=True)
    rating = models.PositiveSmallIntegerField(null=True)

    def __str__(self) -> str:
        return f"rollup state of {self.case_id}"
