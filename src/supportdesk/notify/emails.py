"""A delivery as an email: subject, plain-text and HTML parts from templates, headers that make
every attempt the same message (Message-ID from the idempotency key), and the footer's signed
link to the recipient's preferences."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from supportdesk.cases.models import CaseWatcher
from supportdesk.notify.kinds import kind_for, what_happened
from supportdesk.notify.models import Delivery
from supportdesk.people.models import Membership

SIGNING_SALT = "supportdesk.notify.email-settings"  # not a secret: separates signatures
TOKEN_MAX_AGE = 60 * 60 * 24 * 180  # seconds: a preferences link in an email works for 180 days


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def message_id(key: str) -> str:
    """The same Message-ID for every attempt at one delivery, so a resend is recognisable."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2]
    domain = domain or urlsplit(settings.SITE_URL).hostname or "supportdesk.invalid"
    return f"<{key}@{domain}>"


def settings_token(user: AbstractBaseUser, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=SIGNING_SALT)


def read_settings_token(token: str) -> tuple[int, str] | None:
    """(user id, kind) from a link in an email, or None when forged or too old."""
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return data["u"], str(data.get("k", ""))


def reason(delivery: Delivery) -> str:
    """Why this user got this email, for the footer."""
    user, case, kind = delivery.user, delivery.case, delivery.kind
    if kind == "digest" or case is None:
        return "you turned on the daily digest"
    fixed = {
        "case.mentioned": "you were mentioned on this case",
        "approval.requested": "your approval was asked for on this case",
        "queue.new_case": f"you are an agent of {case.team.name}",
    }
    if kind in fixed:
        return fixed[kind]
    if case.requester_id == user.pk:
        return "you requested this case"
    if case.owner_id == user.pk:
        return "you own this case"
    if CaseWatcher.objects.filter(case=case, user=user).exists():
        return "you watch this case"
    if Membership.objects.filter(team_id=case.team_id, user=user).exists():
        return f"you are an agent of {case.team.name}"
    return "you worked on this case"


def render_email(delivery: Delivery) -> EmailMultiAlternatives:
    context = _context(delivery)
    template = "digest" if delivery.kind == "digest" else "notification"
    subject = render_to_string(f"emails/{template}_subject.txt", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string(f"emails/{template}_body.txt", context),
        to=[delivery.user.email],
        headers=_headers(delivery, context["settings_url"]),
    )
    message.attach_alternative(
        render_to_string(f"emails/{template}_body.html", context), "text/html"
    )
    return message


def _context(delivery: Delivery) -> dict[str, Any]:
    user, case = delivery.user, delivery.case
    return {
        "delivery": delivery,
        "user": user,
        "name": user.get_short_name() or user.get_username(),
        "case": case,
        "what": what_happened(delivery.title),
        "title": delivery.title,
        "body": delivery.body,
        "link": absolute(delivery.url) if delivery.url else "",
        "kind_label": kind_for(delivery.kind).label if delivery.kind != "digest" else "",
        "reason": reason(delivery),
        "settings_url": absolute(
            reverse("notify:email_settings", args=[settings_token(user, delivery.kind)])
        ),
        "preferences_url": absolute(reverse("notify:preferences")),
        "digest": delivery.context,
        "site_url": settings.SITE_URL,
    }


def _headers(delivery: Delivery, settings_url: str) -> dict[str, str]:
    headers = {
        "Message-ID": message_id(delivery.key),
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        "X-Supportdesk-Kind": delivery.kind,
        "List-Unsubscribe": f"<{settings_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if delivery.case_id is not None:
        headers["X-Supportdesk-Case"] = delivery.case.number
    return headers
