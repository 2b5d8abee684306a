""" "Report a problem": a break/fix request about supportdesk itself, raised from any page.

It is the catalog's request type of no kind for IT / Enterprise Applications, submitted
without a record; the page it was raised from (and, from the wizard, what was being
requested) is appended to the description so IT can reproduce it.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from django.contrib.auth.models import AbstractBaseUser
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

from supportdesk.cases.models import Priority, RequestDraft
from supportdesk.cases.services import SubmitResult, submit_case
from supportdesk.cases.wizard import choice_label
from supportdesk.catalog.loader import DEFAULT_PATH, VERSION
from supportdesk.catalog.models import NO_RECORD, RequestType, effective_fields

IT_TEAM = "IT / Enterprise Applications"
THIS_APPLICATION = "Supportdesk (request forms and cases)"
FROM_MAX = 500
WIZARD_STEPS = {
    "wizard_team": "Team",
    "wizard_type": "Request type",
    "wizard_details": "Details",
    "wizard_review": "Review",
}


def problem_report_type() -> RequestType:
    """The active request type of no kind that IT / Enterprise Applications takes."""
    rt = (
        RequestType.objects.filter(
            kind=NO_RECORD, team__name=IT_TEAM, is_active=True, team__is_active=True
        )
        .select_related("team")
        .order_by("position", "name")
        .first()
    )
    if rt is None:
        raise RequestType.DoesNotExist(f"{IT_TEAM} has no active request type without a record.")
    return rt


def safe_from_path(value: Any) -> str:
    """The page a report was raised from: a local path, or "" (never another site's URL)."""
    path = str(value or "").strip()[:FROM_MAX]
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return ""
    if any(ord(c) < 32 or ord(c) == 127 for c in path):
        return ""
    return path if url_has_allowed_host_and_scheme(path, allowed_hosts=set()) else ""


@functools.cache
def catalog_version() -> str:
    """The `version:` of catalog.yaml (read once)."""
    try:
        data = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
        return str(data["version"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return str(VERSION)


def report_context(user: AbstractBaseUser, from_path: str) -> dict[str, str]:
    """What to tell IT about where the problem happened: the page, and from the wizard the
    user's own draft's request type / sub-request and the catalog version."""
    path = safe_from_path(from_path)
    if not path:
        return {}
    context = {"Page": path}
    try:
        match = resolve(path.split("?", 1)[0].split("#", 1)[0])
    except Resolver404:
        return context
    if match.namespace != "cases" or match.url_name not in WIZARD_STEPS:
        return context
    try:
        draft_id = uuid.UUID(str(match.kwargs.get("draft_id")))
    except ValueError:
        return context
    draft = (
        RequestDraft.objects.filter(pk=draft_id, user=user)
        .select_related("team", "request_type", "sub_request")
        .first()
    )
    if draft is None:
        return context
    context["Wizard step"] = WIZARD_STEPS[match.url_name]
    if draft.team is not None:
        context["Team"] = draft.team.name
    if draft.request_type is not None:
        context["Request type"] = choice_label(draft)
    context["Catalog version"] = catalog_version()
    return context


def describe(description: str, context: Mapping[str, str]) -> str:
    """The description with a short "Reported from" block (none for an empty description,
    so that it is still reported as missing)."""
    text = description.strip()
    if not text or not context:
        return text
    lines = "\n".join(f"- {label}: {value}" for label, value in context.items())
    return f"{text}\n\n---\nReported from:\n{lines}"


def report_problem(
    reporter: AbstractBaseUser,
    *,
    answers: Mapping[str, Any],
    priority: str = Priority.MEDIUM,
    urgent_reason: str = "",
    description: str = "",
    upload_ids: Sequence[str] = (),
    watchers: Sequence[str] = (),
    context: Mapping[str, str] | None = None,
    submission_key: str | None = None,
) -> SubmitResult:
    """Raise a problem report as a case in IT's queue. `upload_ids` are the screenshot's
    uploads; raises SubmissionInvalid like `submit_case`."""
    rt = problem_report_type()
    definitions = effective_fields(rt, None)
    screenshot = next((d["name"] for d in definitions if d["type"] == "file"), None)
    answers = dict(answers)
    if screenshot is not None:
        answers[screenshot] = list(upload_ids)
    short = str(answers.get("short_description") or "").strip()
    return submit_case(
        reporter,
        record=None,
        request_type=rt,
        priority=priority,
        urgent_reason=urgent_reason,
        description=describe(description, context or {}),
        answers=answers,
        attachment_ids=[] if screenshot is not None else list(upload_ids),
        watchers=list(watchers),
        subject=f"Problem: {short}" if short else "Problem report",
        submission_key=submission_key,
    )
