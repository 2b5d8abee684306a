"""What stands in the way of closing a case: open approvals and open child cases.

Closing over a blocker needs an explicit override reason, recorded in the feed. Pending or
rejected approvals block only a close as resolved, and only a lead of the team (or an admin)
may override them; open child cases block any close, and whoever closes may say why.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportdesk.cases.models import OPEN_STATUSES, Approval, ApprovalState, Case, Resolution


@dataclass(frozen=True)
class Blocker:
    kind: str  # "approvals" | "children"
    message: str
    lead_only: bool  # only a lead of the team or an admin may close over it


def close_blockers(case: Case, resolution: str = Resolution.RESOLVED) -> list[Blocker]:
    """What closing `case` with `resolution` would override (empty: close freely)."""
    blockers = []
    if resolution == Resolution.RESOLVED:
        open_approvals = Approval.objects.filter(
            case=case, state__in=(ApprovalState.PENDING, ApprovalState.REJECTED)
        ).values_list("state", flat=True)
        states = set(open_approvals)
        if states:
            what = " and ".join(
                label
                for state, label in (
                    (ApprovalState.PENDING, "pending"),
                    (ApprovalState.REJECTED, "rejected"),
                )
                if state in states
            )
            blockers.append(
                Blocker(
                    "approvals",
                    f"This case has {what} approvals; only a lead can close it as resolved.",
                    lead_only=True,
                )
            )
    open_children = Case.objects.filter(parent=case, status__in=OPEN_STATUSES).count()
    if open_children:
        plural = "s are" if open_children > 1 else " is"
        blockers.append(
            Blocker(
                "children",
                f"{open_children} linked child case{plural} still open.",
                lead_only=False,
            )
        )
    return blockers
