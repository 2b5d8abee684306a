"""The case page and everything done on it. Thin: access (`case_for`, 404 when hidden) →
the action in `cases.actions` → redirect with a message, or the form again with its errors.

Every action is a POST form that works without JavaScript; with htmx the forms open inline
in the case page's action panel, and a finished action reloads the page (HX-Redirect).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from supportdesk.attachment_storage import open_for_download
from supportdesk.cases import forms as f
from supportdesk.cases.actions import (
    COMMENT_MAX,
    ActionInvalid,
    ActionNotAllowed,
    CaseConflict,
    add_attachments,
    add_comment,
    add_watcher,
    ask_requester,
    assign_case,
    close_case,
    edit_case,
    hold_case,
    move_case,
    rate_case,
    remove_attachment,
    reopen_case,
    resume_case,
    take_case,
)
from supportdesk.cases.display.feed import FEED_PAGE_SIZE, feed_items, feed_usernames
from supportdesk.cases.display.formatting import person, user_names
from supportdesk.cases.display.page import SCORE_LABELS, case_page, rating_of
from supportdesk.cases.info_request_forms import answer_form_for
from supportdesk.cases.links import team_handle_notices, team_suggestions
from supportdesk.cases.merge_forms import MergeForm, run_merge
from supportdesk.cases.models import Case, CaseEvent, CaseRating, Resolution, Status, Upload
from supportdesk.cases.policy import ACTION_LABELS, Action, allowed_actions, refusal
from supportdesk.cases.priority_forms import PriorityForm, run_change_priority
from supportdesk.cases.queries import (
    attachments_visible_to,
    can_see_case,
    case_for,
    feed_for,
    feed_page_of,
)
from supportdesk.cases.services import SubmissionInvalid, claimable_uploads, create_upload
from supportdesk.cases.uploads import inline_content_type, served_content_type
from supportdesk.lists.services import record_case_view

MENTION_SUGGESTIONS = 8


# ---- responses -----------------------------------------------------------------------------


def _partial(request: HttpRequest) -> bool:
    """An htmx request for a piece of the page (not a history restore, which wants it all)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _done(request: HttpRequest, case: Case, anchor: str = "") -> HttpResponse:
    """Back to the case, or to My Cases when the user cannot see it any more (moved away)."""
    url = case.get_absolute_url() + (f"#{anchor}" if anchor else "")
    if not can_see_case(request.user, case):
        url = reverse("cases:home")
    if not request.htmx:
        return redirect(url)
    response = HttpResponseClientRedirect(url)
    current, target = urlsplit(request.htmx.current_url or ""), urlsplit(url)
    if target.fragment and (current.path, current.query) == (target.path, ""):
        # Only the #anchor differs: the browser would merely scroll, so make it reload.
        response["HX-Refresh"] = "true"
    return response


def _refused(request: HttpRequest, case: Case, message: str) -> HttpResponse:
    """Not allowed (now): nothing changed; say why."""
    if _partial(request):
        context = {"case": case, "message": message}
        return render(request, "cases/_action_message.html", context, status=409)
    messages.error(request, message)
    return redirect(case)


def _case_page(
    request: HttpRequest,
    case: Case,
    composer: f.CommentForm | None = None,
    rate_form: RateForm | None = None,
    **extra: Any,
) -> HttpResponse:
    page = _feed_page(request, case)
    context = case_page(case, request.user, feed_page=page)
    context["composer"] = composer or f.CommentForm(
        case=case, user=request.user, seen=context["seen"]
    )
    if context["can_rate"]:
        context["rate_form"] = rate_form or RateForm(
            case=case, user=request.user, rating=context["rating"]
        )
    context |= {"hint": f.attachment_hint(), "accept": f.accept_attribute(), "uploads": []}
    context["answer_form"] = None if "answer_form" in extra else answer_form_for(case, request.user)
    context.update(extra)
    return render(request, "cases/case_detail.html", context)


def _feed_page(request: HttpRequest, case: Case) -> int:
    """The feed page asked for (`feed`), or the one holding event `event` (links from
    notifications to an event that has scrolled off the first page)."""
    raw, event = request.GET.get("feed", ""), request.GET.get("event", "")
    if not raw and event.isascii() and event.isdigit() and len(event) < 19:
        return feed_page_of(request.user, case, int(event), page_size=FEED_PAGE_SIZE)
    return min(max(int(raw), 1), 100_000) if raw.isascii() and raw.isdigit() else 1


# ---- the page ------------------------------------------------------------------------------


@login_required
@require_safe
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = case_for(request.user, number)
    record_case_view(user=request.user, case=case)  # "Recently Viewed": one upsert
    return _case_page(request, case)


# ---- actions with a form (or a confirmation) -----------------------------------------------

Run = Callable[[Case, AbstractBaseUser, Any], str]


@dataclass(frozen=True)
class Step:
    """One action of the case page: the policy action it needs, its form, and what it does
    (returning the message that confirms it)."""

    action: Action
    form: type[f.ActionForm]
    run: Run


def _take(case: Case, user: AbstractBaseUser, form: f.TakeForm) -> str:
    # No version check: the owner check itself decides a race, and names the winner.
    take_case(case, agent=user)
    return f"You own case {case.number} now."


def _assign(case: Case, user: AbstractBaseUser, form: f.AssignForm) -> str:
    assignee = form.cleaned_data["assignee"]
    case = assign_case(case, actor=user, assignee=assignee, version=form.expected_version)
    return f"Case {case.number} is now with {person(case.owner)}."


def _ask(case: Case, user: AbstractBaseUser, form: f.AskForm) -> str:
    question, fields = form.cleaned_data["question"], form.cleaned_data.get("ask_fields") or []
    version = form.expected_version
    ask_requester(case, agent=user, question=question, fields=fields, version=version)
    return f"Your question went to {person(case.requester)}; the case waits for the answer."


def _hold(case: Case, user: AbstractBaseUser, form: f.HoldForm) -> str:
    hold_case(case, agent=user, reason=form.cleaned_data["reason"], version=form.expected_version)
    return f"Case {case.number} is on hold."


def _resume(case: Case, user: AbstractBaseUser, form: f.ResumeForm) -> str:
    resume_case(case, agent=user, version=form.expected_version)
    return f"Case {case.number} is back in Work in Progress."


def _close(case: Case, user: AbstractBaseUser, form: f.CloseForm) -> str:
    data = form.cleaned_data
    case = close_case(
        case,
        actor=user,
        resolution=data["resolution"],
        note=data["note"],
        override=data.get("override", ""),
        version=form.expected_version,
    )
    return f"Case {case.number} is closed: {case.get_resolution_display()}."


def _withdraw(case: Case, user: AbstractBaseUser, form: f.WithdrawForm) -> str:
    note, version = form.cleaned_data["note"], form.expected_version
    close_case(case, actor=user, resolution=Resolution.WITHDRAWN, note=note, version=version)
    return f"You withdrew case {case.number}."


def _reopen(case: Case, user: AbstractBaseUser, form: f.ReopenForm) -> str:
    reopen_case(case, actor=user, reason=form.cleaned_data["reason"], version=form.expected_version)
    return f"Case {case.number} is open again."


def _move(case: Case, user: AbstractBaseUser, form: f.MoveForm) -> str:
    request_type, sub_request = form.cleaned_data["choice"]
    case = move_case(
        case,
        agent=user,
        request_type=request_type,
        sub_request=sub_request,
        reason=form.cleaned_data["reason"],
        version=form.expected_version,
    )
    asked = (
        " The requester was asked for what it needs."
        if case.status == Status.PENDING_RESPONSE
        else ""
    )
    return f"Case {case.number} moved to {case.team.name}.{asked}"


def _watch(case: Case, user: AbstractBaseUser, form: f.WatcherForm) -> str:
    username = form.cleaned_data["username"].strip().lstrip("@")
    if add_watcher(case, actor=user, username=username):
        return f"{username} now watches case {case.number}."
    return f"{username} already watches case {case.number}."


def _edit(case: Case, user: AbstractBaseUser, form: f.EditForm) -> str:
    data = form.cleaned_data
    changes = {name: data[name] for name in ("subject", "description", "needed_by")}
    before = case.version
    case = edit_case(
        case,
        actor=user,
        changes=changes,
        answers=form.answer_values(),
        version=form.expected_version,
    )
    return "Your changes are saved." if case.version != before else "Nothing changed."


STEPS = {
    "take": Step(Action.TAKE, f.TakeForm, _take),
    "assign": Step(Action.ASSIGN, f.AssignForm, _assign),
    "ask": Step(Action.ASK, f.AskForm, _ask),
    "hold": Step(Action.HOLD, f.HoldForm, _hold),
    "resume": Step(Action.RESUME, f.ResumeForm, _resume),
    "close": Step(Action.CLOSE, f.CloseForm, _close),
    "withdraw": Step(Action.WITHDRAW, f.WithdrawForm, _withdraw),
    "reopen": Step(Action.REOPEN, f.ReopenForm, _reopen),
    "move": Step(Action.MOVE, f.MoveForm, _move),
    "watch": Step(Action.ADD_WATCHER, f.WatcherForm, _watch),
    "edit": Step(Action.EDIT, f.EditForm, _edit),
    "merge": Step(Action.MERGE, MergeForm, run_merge),
    "priority": Step(Action.CHANGE_PRIORITY, PriorityForm, run_change_priority),
}


@login_required
@require_http_methods(["GET", "POST"])
def case_action(request: HttpRequest, number: str, name: str) -> HttpResponse:
    """GET: the action's form (inline under htmx). POST: do it, or show what went wrong."""
    case, step = case_for(request.user, number), STEPS[name]
    if step.action not in allowed_actions(request.user, case):
        return _refused(request, case, refusal(request.user, case, step.action))
    data = request.POST if request.method == "POST" else None
    seen = None if data else _newest_event(request.user, case)
    form = step.form(data, case=case, user=request.user, seen=seen)
    if form.is_bound and form.is_valid():
        try:
            message = step.run(case, request.user, form)
        except ActionInvalid as invalid:
            form.add_action_errors(invalid.errors)
        except CaseConflict as conflict:
            return _conflict(request, conflict.case or case, form, name)
        except ActionNotAllowed as refused:
            return _refused(request, case, str(refused))
        else:
            messages.success(request, message)
            return _done(request, case)
    return _action_page(request, case, form, name)


def _newest_event(user: AbstractBaseUser, case: Case) -> int | None:
    return feed_for(user, case).order_by("-pk").values_list("pk", flat=True).first()


def _action_page(
    request: HttpRequest,
    case: Case,
    form: f.ActionForm,
    name: str,
    *,
    changes: list | None = None,
    status: int = 200,
) -> HttpResponse:
    partial = _partial(request)
    context = {
        "case": case,
        "form": form,
        "name": name,
        "title": ACTION_LABELS[STEPS[name].action].rstrip("…"),
        "action_url": reverse(f"cases:{name}", args=[case.number]),
        "inline": partial,
        "changes": changes,
        "hint": f.attachment_hint(),
    }
    template = "cases/_action_form.html" if partial else "cases/case_action.html"
    return render(request, template, context, status=status)


def _conflict(request: HttpRequest, fresh: Case, form: f.ActionForm, name: str) -> HttpResponse:
    """Someone changed the case first: show what changed, keep what the user typed, and let
    them submit again against the case as it is now."""
    action = STEPS[name].action
    if action not in allowed_actions(request.user, fresh):
        message = f"This case changed since you opened it. {refusal(request.user, fresh, action)}"
        return _refused(request, fresh, message)
    events = _events_since(request.user, fresh, form.seen_event, form.expected_version)
    data = form.data.copy()
    data["version"] = str(fresh.version)
    data["seen"] = str(max((e.pk for e in events), default=form.seen_event or 0))
    if isinstance(form, f.EditForm):
        f.EditForm.take_changes_made_meanwhile(data, events, fresh)
    again = STEPS[name].form(data, case=fresh, user=request.user)
    names = user_names(feed_usernames(events))
    changes = feed_items(events, fresh, attachments_visible_to(request.user, fresh), names)
    return _action_page(request, fresh, again, name, changes=changes, status=409)


def _events_since(
    user: AbstractBaseUser, case: Case, seen: int | None, version: int | None
) -> list[CaseEvent]:
    """The feed events the user had not seen, newest first."""
    feed = feed_for(user, case)
    if seen:
        events = list(feed.filter(pk__gt=seen)[:20])
    else:  # each change moves the version on by one and writes at least one event
        events = list(feed[: max(case.version - (version or case.version), 1)])
    # A status change that waits on a question (or follows a reply) brings that comment along.
    have = {e.pk for e in events}
    linked = {e.data.get(k) for e in events for k in ("comment", "reply")} - have
    if linked := {pk for pk in linked if isinstance(pk, int)}:
        events = sorted([*events, *feed.filter(pk__in=linked)], key=lambda e: -e.pk)
    return events


# ---- satisfaction --------------------------------------------------------------------------


class RateForm(f.ActionForm):
    """The requester's rating of a closed case. No version check: a rating is the requester's
    own say about the case, which only they change, and rating again replaces it."""

    score = forms.TypedChoiceField(
        label="Your rating",
        choices=[(score, f"{score} {label}") for score, label in SCORE_LABELS.items()],
        coerce=int,
        widget=forms.RadioSelect,
        help_text="From 1 (very poor) to 5 (excellent).",
        error_messages={
            "required": "Choose a rating from 1 to 5.",
            "invalid_choice": "Choose a rating from 1 to 5.",
        },
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What went well, or what could have gone better. The team reads it.",
    )
    submit_label = "Send rating"

    def __init__(self, *args: Any, rating: CaseRating | None = None, **kwargs: Any):
        if rating is not None:
            kwargs["initial"] = {"score": rating.score, "comment": rating.comment}
        kwargs.setdefault("auto_id", "id_rating_%s")  # unique beside the composer's fields
        super().__init__(*args, **kwargs)
        del self.fields["version"], self.fields["seen"]


@login_required
@require_POST
def case_rate(request: HttpRequest, number: str) -> HttpResponse:
    """The requester rates their closed case (again, to change it); errors keep the input."""
    case = case_for(request.user, number)
    if Action.RATE not in allowed_actions(request.user, case):
        return _refused(request, case, refusal(request.user, case, Action.RATE))
    form = RateForm(request.POST, case=case, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            rating = rate_case(
                case, requester=request.user, score=data["score"], comment=data["comment"]
            )
        except ActionInvalid as invalid:
            form.add_action_errors(invalid.errors)
        except ActionNotAllowed as refused:
            return _refused(request, case, str(refused))
        else:
            messages.success(request, f"Thank you: you rated case {case.number} {rating.score}/5.")
            return _done(request, case, anchor="rate")
    if _partial(request):
        context = {"case": case, "rate_form": form, "rating": rating_of(case)}
        return render(request, "cases/_rating.html", context)
    return _case_page(request, case, rate_form=form)


# ---- the feed: comments and files ----------------------------------------------------------


def _store_uploads(user: AbstractBaseUser, form: f.ActionForm) -> list[Upload]:
    """Files sent earlier and kept (unless removed), plus the new ones; problems go on the form."""
    removed = set(form.data.getlist("remove_upload"))
    kept_ids = [i for i in form.data.getlist("upload") if i not in removed]
    uploads = list(claimable_uploads(user, kept_ids).values())
    for file in form.files.getlist("files"):
        try:
            uploads.append(create_upload(user, file=file))
        except SubmissionInvalid as invalid:
            form.add_error("files", invalid.errors.get("file", ["This file cannot be used."]))
    return uploads


@login_required
@require_POST
def case_comment(request: HttpRequest, number: str) -> HttpResponse:
    case = case_for(request.user, number)
    form = f.CommentForm(request.POST, request.FILES, case=case, user=request.user)
    form.is_valid()
    uploads = _store_uploads(request.user, form)
    if not form.errors:
        data, ids = form.cleaned_data, [str(u.id) for u in uploads]
        internal = bool(data.get("internal"))
        try:
            event = add_comment(
                case, author=request.user, body=data["body"], internal=internal, attachment_ids=ids
            )
        except ActionInvalid as invalid:
            form.add_action_errors(invalid.errors)
        except ActionNotAllowed as refused:
            return _refused(request, case, str(refused))
        else:
            _comment_notices(request, case, event)
            return _done(request, case, anchor=f"event-{event.pk}")
    return _composer(request, case, form, uploads)


def _composer(
    request: HttpRequest, case: Case, form: f.CommentForm, uploads: list[Upload]
) -> HttpResponse:
    if _partial(request):
        context = {"case": case, "composer": form, "uploads": uploads, "inline": True}
        context |= {"hint": f.attachment_hint(), "accept": f.accept_attribute()}
        return render(request, "cases/_composer.html", context)
    return _case_page(request, case, form, uploads=uploads)


def _comment_notices(request: HttpRequest, case: Case, event: CaseEvent) -> None:
    label = "Internal note added." if event.internal else "Comment added."
    messages.success(request, label)
    handles = event.data.get("team_handles") or []
    for notice in team_handle_notices(request.user, case, handles):
        messages.info(request, notice)


@login_required
@require_POST
def case_attachments(request: HttpRequest, number: str) -> HttpResponse:
    """Add files to the case (several at once); files that fail the checks are named."""
    case = case_for(request.user, number)
    form = f.AttachmentsForm(request.POST, request.FILES, case=case, user=request.user)
    form.is_valid()
    uploads = _store_uploads(request.user, form)
    for problem in form.errors.get("files", []):
        messages.error(request, problem)
    if not uploads and not form.errors:
        messages.error(request, "Choose one or more files to attach.")
    if uploads:
        try:
            made = add_attachments(
                case, actor=request.user, upload_ids=[str(u.id) for u in uploads]
            )
        except (ActionInvalid, ActionNotAllowed) as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, "Added " + ", ".join(a.name for a in made) + ".")
    return _done(request, case, anchor="attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    case = case_for(request.user, number)
    get_object_or_404(attachments_visible_to(request.user, case), pk=pk)
    try:
        attachment = remove_attachment(case, actor=request.user, attachment_id=pk)
    except (ActionInvalid, ActionNotAllowed) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Removed {attachment.name}.")
    return _done(request, case, anchor="attachments")


@login_required
@require_safe
def attachment_download(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """A file of the case, for who may see it. Pictures may be shown inline (`?inline=1`)."""
    case = case_for(request.user, number)
    attachment = get_object_or_404(attachments_visible_to(request.user, case), pk=pk)
    wants_inline = request.GET.get("inline") == "1"
    inline_type = inline_content_type(attachment) if wants_inline else None
    try:
        handle = open_for_download(attachment.file)
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=inline_type is None,
        filename=attachment.name,
        content_type=inline_type or served_content_type(attachment),
    )
    response.setdefault("Content-Length", str(attachment.size))  # a stream from S3 has none
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ---- @mention suggestions ------------------------------------------------------------------


@login_required
@require_safe
def mention_suggest(request: HttpRequest, number: str) -> HttpResponse:
    """Up to 8 active people whose username or name starts with `q`, and "Ask <team> for
    help" for teams whose handle does (an HTML fragment)."""
    case = case_for(request.user, number)
    q = request.GET.get("q", "").strip().lstrip("@")[:50]
    people = _people_starting_with(q) if q else []
    teams = team_suggestions(request.user, case, q) if request.GET.get("teams") != "0" else []
    context = {"people": people, "teams": teams, "q": q}
    return render(request, "cases/_mention_suggestions.html", context)


def _people_starting_with(prefix: str) -> list[tuple[str, str]]:
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
        .order_by("username")
        .only("username", "first_name", "last_name")[:MENTION_SUGGESTIONS]
    )
    return [(u.get_username(), person(u)) for u in users]
