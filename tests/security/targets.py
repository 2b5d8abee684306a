"""The objects a route's parameters can name, for each role: the one it is about, someone
else's (that only an admin may see, if anyone), and one that does not exist.

Each function returns the positional arguments `reverse()` takes for the route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.security.world import ANONYMOUS, MISSING_ID, MISSING_UUID, World, email_settings_token

Args = tuple
MISSING_NUMBER = str(MISSING_ID)


@dataclass(frozen=True)
class Target:
    own: Callable[[World, str], Args]
    foreign: Callable[[World, str], Args] | None  # someone else's
    missing: Callable[[World, str], Args] | None
    # What the foreign object is compared with (the file of a missing case, not a missing
    # file of the visible case), if not `missing`.
    foreign_missing: Callable[[World, str], Args] | None = None
    admin_sees_foreign: bool = False  # admins see every case and record


def _owned(attribute: str, key: str = "pk") -> Target:
    """An object every user has one of (view, token, draft, notification); Henry's is foreign."""

    def own(world: World, role: str) -> Args:
        owner = world.henrys if role == ANONYMOUS else world.owned[role]
        return (getattr(getattr(owner, attribute), key),)

    def foreign(world: World, role: str) -> Args:
        return (getattr(getattr(world.henrys, attribute), key),)

    missing = MISSING_UUID if key == "id" and attribute == "draft" else MISSING_ID
    return Target(own, foreign, lambda w, r: (missing,))


def _sub_request_id(world: World) -> int:
    return world.case.sub_request_id


TARGETS: dict[str, Target] = {
    "none": Target(lambda w, r: (), None, None),
    "case": Target(
        lambda w, r: (w.case.number,),
        lambda w, r: (w.hidden_case.number,),
        lambda w, r: (MISSING_NUMBER,),
        admin_sees_foreign=True,
    ),
    "attachment": Target(
        lambda w, r: (w.case.number, w.attachment.pk),
        lambda w, r: (w.hidden_case.number, w.hidden_attachment.pk),
        lambda w, r: (w.case.number, MISSING_ID),
        lambda w, r: (MISSING_NUMBER, MISSING_ID),
        admin_sees_foreign=True,
    ),
    "note_attachment": Target(
        lambda w, r: (w.case.number, w.note_attachment.pk),
        None,
        lambda w, r: (w.case.number, MISSING_ID),
    ),
    "approval": Target(
        lambda w, r: (w.case.number, w.approval.pk),
        lambda w, r: (w.hidden_case.number, w.hidden_approval.pk),
        lambda w, r: (w.case.number, MISSING_ID),
        lambda w, r: (MISSING_NUMBER, MISSING_ID),
        admin_sees_foreign=True,
    ),
    "view": _owned("view"),
    "token": _owned("token"),
    "notification": _owned("notification"),
    "draft": _owned("draft", "id"),
    "webhook": Target(lambda w, r: (w.webhook.pk,), None, lambda w, r: (MISSING_ID,)),
    "delivery": Target(
        lambda w, r: (w.webhook.pk, w.delivery.pk), None, lambda w, r: (w.webhook.pk, MISSING_ID)
    ),
    "record": Target(
        lambda w, r: (w.record.pk,),
        lambda w, r: (w.hidden_case.record_id,),
        lambda w, r: (MISSING_ID,),
        admin_sees_foreign=True,
    ),
    "record_ext": Target(
        lambda w, r: (w.record.external_id,),
        lambda w, r: (w.hidden_case.record.external_id,),
        lambda w, r: ("006MISSING000",),
        admin_sees_foreign=True,
    ),
    "report:my-requests": Target(lambda w, r: ("my-requests",), None, None),
    "report:my-work": Target(lambda w, r: ("my-work",), None, None),
    "report:team": Target(lambda w, r: ("team",), None, lambda w, r: ("no-such-dashboard",)),
    "report:operations": Target(lambda w, r: ("operations",), None, None),
    "team": Target(lambda w, r: ("deal-desk",), None, lambda w, r: ("no-such-team",)),
    "member": Target(
        lambda w, r: ("deal-desk", "dan"), None, lambda w, r: ("deal-desk", "nobody-here")
    ),
    "request_type": Target(
        lambda w, r: (w.case.request_type_id,), None, lambda w, r: (MISSING_ID,)
    ),
    "sub_request": Target(lambda w, r: (_sub_request_id(w),), None, lambda w, r: (MISSING_ID,)),
    "email_token": Target(
        lambda w, r: (email_settings_token(w, "requester"),),
        None,
        lambda w, r: ("not-a-signed-token",),
    ),
    "password_reset": Target(lambda w, r: ("MQ", "set-password"), None, None),
}
