"""Cases, their feed (events), watchers, attachments, pending uploads and wizard drafts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from supportdesk.cases.indexes import SortIndex
from supportdesk.url_builder import url_for

NUMBER_WIDTH = 8


class Status(models.TextChoices):
    NEW = "new", "New"
    WORK_IN_PROGRESS = "work_in_progress", "Work in Progress"
    PENDING_RESPONSE = "pending_response", "Pending Response"
    ON_HOLD = "on_hold", "On Hold"
    CLOSED = "closed", "Closed"


class Resolution(models.TextChoices):
    """How a case ended (required to close it)."""

    RESOLVED = "resolved", "Resolved / actioned"
    ANSWERED = "answered", "Question answered"
    DUPLICATE = "duplicate", "Duplicate of another case"
    NOT_POSSIBLE = "not_possible", "Cannot be done"
    NO_RESPONSE = "no_response", "No response from the requester"
    WITHDRAWN = "withdrawn", "Withdrawn by the requester"


OPEN_STATUSES = ("new", "work_in_progress", "pending_response", "on_hold")
# The status and the case's columns the access rule reads (queries.cases_visible_to); the
# id comes with every index.
ACCESS_COLUMNS = tuple(
    models.F(name) for name in ("status", "team_id", "requester_id", "record_id", "parent_id")
)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class SlaStage(models.IntegerChoices):
    ON_TRACK = 0, "On track"
    AT_RISK = 1, "At risk"
    BREACHED = 2, "Breached"


def format_number(pk: int) -> str:
    return str(pk).zfill(NUMBER_WIDTH)


def parse_number(number: str) -> int | None:
    """The case id behind a case number, or None when it is not a case number."""
    number = number.strip()
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        return None
    return int(number)


class Case(models.Model):
    """A support request. Its number is its id, shown zero-padded to eight digits."""

    # FKs led by a composite index below need no index of their own (cheaper inserts).
    record = models.ForeignKey(
        "records.Record",
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
        null=True,
        blank=True,
        help_text="Empty for requests not raised on a record (problem reports).",
    )
    team = models.ForeignKey(
        "people.Team", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    request_type = models.ForeignKey(
        "catalog.RequestType", on_delete=models.PROTECT, related_name="cases"
    )
    sub_request = models.ForeignKey(
        "catalog.SubRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The case this one was raised from to ask another team for help.",
    )
    child_count = models.PositiveIntegerField(
        default=0,
        help_text="How many cases were raised from this one (kept by submit_case), so a case "
        "without linked cases costs its page no query for them.",
    )
    subject = models.CharField(max_length=300)
    description = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    record_snapshot = models.JSONField(default=dict, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    urgent_reason = models.TextField(blank=True)
    needed_by = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_cases",
        help_text="Empty while the case sits in its team's queue.",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_cases",
        db_index=False,
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CaseWatcher",
        through_fields=("case", "user"),
        related_name="watched_cases",
    )
    submission_key = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text="Requester + idempotency key / form token: a retried submit finds this case.",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)  # indexed with id, below
    updated_at = models.DateTimeField(default=timezone.now)
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(blank=True)
    # What the requester chose, kept when an agent changes `priority` (leads' urgent-use stats).
    requested_priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    info_requests = models.PositiveIntegerField(
        default=0, help_text="Times the team asked the requester for information (round trips)."
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        help_text="The master case this one was merged into.",
    )
    # The SLA clock (supportdesk.sla.engine keeps these; see sla/clock.py for the rules).
    first_response_due = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(
        null=True, blank=True, help_text="Empty while the resolution clock is paused."
    )
    sla_due = models.DateTimeField(
        null=True, blank=True, help_text="The next due time that matters: queues sort on it."
    )
    sla_stage = models.SmallIntegerField(
        choices=SlaStage.choices,
        default=SlaStage.ON_TRACK,
        help_text="Moved forward by the SLA sweep, which sends the warning or escalation.",
    )
    sla_check_at = models.DateTimeField(
        null=True, blank=True, help_text="When the stage next changes (the sweep's work list)."
    )
    # Most urgent = highest, so "most urgent first" lists read an index (lists.columns).
    priority_rank = models.GeneratedField(
        expression=models.Case(
            *(models.When(priority=p, then=models.Value(i)) for i, p in enumerate(Priority.values)),
            default=models.Value(0),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )
    # 0 while the case waits on its requester: My Requests shows those first (lists.builtins).
    waiting_rank = models.GeneratedField(
        expression=models.Case(
            models.When(status=Status.PENDING_RESPONSE, then=models.Value(0)),
            default=models.Value(1),
        ),
        output_field=models.SmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requester", "-created_at"], name="case_requester_created"),
            models.Index(fields=["team", "status"], name="case_team_status"),
            models.Index(fields=["record", "-created_at"], name="case_record_created"),
            # Linked cases are few: "cases linked to my teams' cases" (queries.cases_visible_to)
            # reads only these small indexes: the teams' children, and the teams' parents.
            models.Index(
                fields=["team", "parent"],
                name="case_team_parent",
                condition=models.Q(parent__isnull=False),
            ),
            models.Index(
                fields=["team", "id"],
                name="case_team_has_children",
                condition=models.Q(child_count__gt=0),
            ),
            # The lists' sorts (supportdesk.lists; EXPLAINed at 1M cases in bench/listviews.py):
            # newest / oldest first, last modified, Recently Closed, and the queues' most urgent
            # first — each an index in the list's order, ending with the id that breaks ties.
            models.Index(fields=["created_at", "id"], name="case_created_id"),
            # My Requests: waiting on the requester first, then last modified; with the access
            # rule's columns after, so its count reads this index alone.
            models.Index(
                fields=[
                    "requester",
                    "waiting_rank",
                    "-updated_at",
                    "id",
                    "team",
                    "record",
                    "parent",
                ],
                name="case_requester_waiting",
            ),
            models.Index(fields=["updated_at", "id"], name="case_updated_id"),
            # The reports' busiest records of a team in a period, read from this index alone
            # (with the dashboards' request type and priority filters).
            models.Index(
                fields=["team", "created_at", "record", "request_type", "priority"],
                name="case_team_created_record",
            ),
            # …with the columns of the access rule (queries.cases_visible_to) and the status
            # after the sort keys, so counting a list of closed or open cases reads the index
            # alone, however many cases it passes.
            SortIndex(
                models.F("closed_at").desc(nulls_last=True),
                models.F("id").desc(),
                *ACCESS_COLUMNS,
                name="case_closed_id",
                condition=models.Q(closed_at__isnull=False),
            ),
            models.Index(
                *ACCESS_COLUMNS[:1],  # status first: the open ones, any of them
                models.F("owner_id"),  # mine, or the queue's
                *ACCESS_COLUMNS[1:],
                models.F("id"),  # PostgreSQL's indexes hold no id of their own
                name="case_open_access",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # My Open Cases (agents' default view) in its order, most urgent then oldest: the
            # owner's first page without sorting all their open cases (PostgreSQL: 23 ms to
            # 2 at 1M cases; SQLite 3 ms to 0.2).
            models.Index(
                models.F("owner_id"),
                models.F("priority_rank").desc(),
                models.F("created_at"),
                models.F("id").desc(),
                name="case_owner_open",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # The teams' open backlog by status and age (the reports), from the index alone;
            # with the priority, lists of a team's open cases filtered by priority and age
            # (a saved view's usual filters) read only the rows they show (1M cases: 30 ms of
            # queries a page to 11 on SQLite, 28 to 18 on PostgreSQL).
            models.Index(
                fields=["team", "status", "created_at", "priority"],
                name="case_open_team_age",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            # My requests' time to resolution over a period, from the index alone.
            models.Index(
                fields=["requester", "closed_at", "created_at"],
                name="case_requester_closed",
                condition=models.Q(closed_at__isnull=False),
            ),
            # My requests' open cases by status (the reports), for requesters of thousands.
            models.Index(
                fields=["requester", "status"],
                name="case_requester_open",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["created_at", "id"],
                name="case_open_created",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                models.F("priority_rank").desc(),
                models.F("created_at"),
                models.F("id").desc(),
                name="case_queue_urgent_oldest",  # the teams' queues: open, nobody's yet
                condition=models.Q(status__in=OPEN_STATUSES, owner__isnull=True),
            ),
            # The teams' queues in SLA order: breached, at risk, most urgent, soonest due.
            models.Index(
                models.F("sla_stage").desc(),
                models.F("priority_rank").desc(),
                models.F("sla_due"),
                models.F("id").desc(),
                name="case_queue_sla",
                condition=models.Q(status__in=OPEN_STATUSES, owner__isnull=True),
            ),
            # …and one team's queue (My Teams' Queue for a member of one team): the team's
            # cases in that order from the first row, where the index above, read for one
            # team, made SQLite sort the team's whole queue (21 ms at 1M cases, now 2).
            models.Index(
                models.F("team_id"),
                models.F("sla_stage").desc(),
                models.F("priority_rank").desc(),
                models.F("sla_due"),
                models.F("id").desc(),
                name="case_team_queue_sla",
                condition=models.Q(status__in=OPEN_STATUSES, owner__isnull=True),
            ),
            models.Index(
                fields=["sla_check_at"],
                name="case_sla_check",
                condition=models.Q(sla_check_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def get_absolute_url(self) -> str:
        return url_for("cases:detail", self.number)

    @property
    def number(self) -> str:
        return format_number(self.pk)

    @property
    def owner_display(self) -> str:
        if self.owner_id is None:
            return self.team.queue_name
        return self.owner.get_full_name() or self.owner.get_username()


class CaseWatcher(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="watcher_links", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watcher_links",
        db_index=False,  # casewatcher_user_case
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="casewatcher_unique")]
        # The access rule reads a user's watched case ids (queries._through_others) from this
        # index alone: a busy requester watches tens of thousands of cases.
        indexes = [models.Index(fields=["user", "case"], name="casewatcher_user_case")]

    def __str__(self) -> str:
        return f"{self.user} watches {self.case_id}"


class CaseEvent(models.Model):
    """One thing that happened to a case. Append-only: the feed and the audit trail.

    `internal` events (agents' internal notes) are shown to the owning team and admins only.
    """

    CREATED = "case.created"
    STATUS_CHANGED = "case.status_changed"
    OWNER_CHANGED = "case.owner_changed"
    TEAM_MOVED = "case.team_moved"
    FIELD_CHANGED = "case.field_changed"
    COMMENTED = "comment.added"
    ATTACHMENT_ADDED = "attachment.added"
    ATTACHMENT_REMOVED = "attachment.removed"
    WATCHER_ADDED = "watcher.added"
    MENTIONED = "case.mentioned"
    RATED = "case.rated"
    LINKED = "case.linked"  # a child case was raised from this one, or this one from a parent
    APPROVAL_REQUESTED = "approval.requested"
    APPROVAL_DECIDED = "approval.decided"
    CLOSE_OVERRIDE = "case.close_override"  # closed despite open approvals or children
    PRIORITY_CHANGED = "case.priority_changed"
    SLA_WARNING = "sla.warning"  # 75 % of a target used
    SLA_BREACHED = "sla.breached"
    MERGED = "case.merged"  # on both: the duplicate closed into its master
    DETAILS_ADDED = "case.details_added"  # a would-be duplicate's details added to this case
    INFO_ANSWERED = "case.info_answered"  # the requester filled the fields they were asked for

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="caseevent_case_created"),
            # The newest events anywhere (a busy requester's recent activity, reports).
            models.Index(fields=["created_at", "id"], name="caseevent_created_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.case_id}"


def attachment_path(instance: Attachment | Upload, filename: str) -> str:
    """A generated storage name: never the user's path or file name (only a tame extension)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    suffix = f".{extension}" if extension.isalnum() and len(extension) <= 8 else ""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Upload(models.Model):
    """A file uploaded ahead of a submit; claimed by the case it is attached to, or expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    field_name = models.CharField(
        max_length=100, blank=True, help_text="The request field this file answers, if any."
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    event = models.ForeignKey(
        CaseEvent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        help_text="The comment this file came with, if any.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return url_for("cases:attachment", self.case.number, self.pk)


class RequestDraft(models.Model):
    """The Request Support wizard's state, kept on the server so nothing typed is lost."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="request_drafts"
    )
    record = models.ForeignKey(
        "records.Record",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="request_drafts",
        help_text="Empty for a linked request from a case that has no record.",
    )
    parent = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="child_drafts",
        help_text="The case a linked request (ask another team, follow-up) is raised from.",
    )
    team = models.ForeignKey("people.Team", on_delete=models.SET_NULL, null=True, blank=True)
    request_type = models.ForeignKey(
        "catalog.RequestType", on_delete=models.SET_NULL, null=True, blank=True
    )
    sub_request = models.ForeignKey(
        "catalog.SubRequest", on_delete=models.SET_NULL, null=True, blank=True
    )
    data = models.JSONField(default=dict, blank=True, help_text="Common fields and answers.")
    uploads = models.ManyToManyField(Upload, blank=True, related_name="drafts")
    notices = models.JSONField(default=list, blank=True)
    case = models.OneToOneField(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="draft"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["user", "record"], name="draft_user_record")]

    def __str__(self) -> str:
        return f"Draft request on {self.record_id} by {self.user_id}"


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Approval(models.Model):
    """One approver's sign-off on one approval step the case's request type declares."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="approvals")
    step = models.PositiveSmallIntegerField(help_text="The step's place in the catalog, from 1.")
    step_name = models.CharField(max_length=200)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approvals"
    )
    state = models.CharField(
        max_length=10, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    note = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["step", "requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "step", "approver"], name="approval_unique_case_step_approver"
            )
        ]
        indexes = [models.Index(fields=["approver", "state"], name="approval_approver_state")]

    def __str__(self) -> str:
        return f"{self.step_name} by {self.approver_id} on {self.case_id}: {self.state}"


class CaseRating(models.Model):
    """The requester's satisfaction with a closed case (1–5), for the reports."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="caserating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 for {self.case_id}"
