"""What stands in the way of closing a case: open approvals and open child cases.

Closing over a blocker needs an explicit override reason, recorded in the feed. Approval steps
not yet approved (pending, rejected or not asked for) block only a close as resolved, and only
a lead of the team (or an admin) may override them; open child cases block any close, and
whoever closes may say why.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportdesk.cases.models import OPEN_STATUSES, Case, Resolution


@dataclass(frozen=True)
class Blocker:
    kind: str  # "approvals" | "children"
    message: str
    lead_only: bool  # only a lead of the team or an admin may close over it


def close_blockers(case: Case, resolution: str = Resolution.RESOLVED) -> list[Blocker]:
    """What closing `case` with `resolution` would override (empty: close freely)."""
    blockers = []
    if resolution == Resolution.RESOLVED:
        # Imported here: cases.approvals builds on cases.actions, which imports this module.
        from supportdesk.cases.approvals import approvals_blocker

        if (approvals := approvals_blocker(case)) is not None:
            blockers.append(approvals)
    # child_count (kept under the parent's row lock) spares the query for cases without any.
    children = Case.objects.filter(parent=case, status__in=OPEN_STATUSES)
    open_children = children.count() if case.child_count else 0
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
