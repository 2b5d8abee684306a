""" "Report a problem" (linked from every page): the form, and raising it as an IT case."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from supportdesk.cases import problems
from supportdesk.cases.display.formatting import FieldView, field_view
from supportdesk.cases.forms import CommonForm, accept_attribute, attachment_hint
from supportdesk.cases.models import Case, Upload
from supportdesk.cases.services import (
    SubmissionInvalid,
    claimable_uploads,
    create_upload,
)
from supportdesk.catalog.models import RequestType, effective_fields
from supportdesk.catalog.schema import answers_form_class, describe_condition

PREFIX = "details"
COMMON = ("priority", "urgent_reason", "description", "watchers")


class ProblemForm(CommonForm):
    """The wizard's common fields, worded for a problem report, plus watchers."""

    needed_by = None  # a problem report has no needed-by date
    watchers = forms.CharField(
        label="Watchers",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text="Optional: usernames of people to keep informed, separated by commas.",
    )
    field_order = ["priority", "urgent_reason", "description", "watchers"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        priority, reason, description = (self.fields[n] for n in COMMON[:3])
        priority.label = "Urgency"
        priority.error_messages["required"] = "Choose an urgency."
        priority.help_text = "Urgent is for problems that stop you or your customers from working."
        reason.help_text = "Who is blocked, and what it costs."
        description.help_text = (
            "What you were doing, what you expected and what happened instead. "
            "Markdown is supported."
        )


def watcher_names(value: str) -> list[str]:
    return [n for n in re.split(r"[,;\s]+", value or "") if n]


def one_time_token(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return ""


@dataclass
class ProblemSpec:
    """The problem report request type: its fields and the one that takes the screenshot."""

    request_type: RequestType
    definitions: list[dict]
    screenshot: str
    answers_form: type[forms.Form]

    @classmethod
    def load(cls) -> ProblemSpec:
        rt = problems.problem_report_type()
        definitions = effective_fields(rt, None)
        screenshot = next((d["name"] for d in definitions if d["type"] == "file"), "")
        return cls(rt, definitions, screenshot, answers_form_class(definitions))

    @property
    def file_key(self) -> str:
        return f"{PREFIX}-{self.screenshot}"


@dataclass
class PostedReport:
    """What the user posted, with the files kept so far (an error elsewhere keeps them)."""

    answers: dict[str, Any]
    common: dict[str, str]
    uploads: list[Upload]
    errors: dict[str, list[str]]
    token: str

    @property
    def upload_ids(self) -> list[str]:
        return [str(u.id) for u in self.uploads]


@login_required
@require_http_methods(["GET", "POST"])
def report_problem(request: HttpRequest) -> HttpResponse:
    spec = ProblemSpec.load()
    if request.method == "GET":
        from_path = problems.safe_from_path(request.GET.get("from"))
        initial = {"application": problems.THIS_APPLICATION}
        answers = spec.answers_form(prefix=PREFIX, use_required_attribute=False, initial=initial)
        page = {"form": ProblemForm(), "answers": answers, "uploads": [], "token": ""}
        return _render(request, spec, from_path, **page)
    from_path = problems.safe_from_path(request.POST.get("from"))
    report = _read_post(request, spec)
    if not report.errors:
        try:
            case = _submit(request, report, from_path)
        except SubmissionInvalid as invalid:
            report.errors = invalid.errors
        else:
            return redirect("cases:submitted", case.number)
    return _render(request, spec, from_path, **_bound_forms(spec, report))


def _read_post(request: HttpRequest, spec: ProblemSpec) -> PostedReport:
    post = request.POST
    removed = set(post.getlist("remove_upload"))
    kept_ids = [i for i in post.getlist(spec.file_key) if i not in removed]
    kept = claimable_uploads(request.user, kept_ids)
    uploads: list[Upload] = [kept[i] for i in dict.fromkeys(kept_ids) if i in kept]
    upload_errors: list[str] = []
    for file in request.FILES.getlist(spec.file_key) if spec.screenshot else []:
        try:
            uploads.append(create_upload(request.user, file=file))
        except SubmissionInvalid as invalid:
            upload_errors += invalid.errors.get("file", [])
    answers = {
        d["name"]: post.getlist(f"{PREFIX}-{d['name']}")
        if d["type"] == "multi_picklist"
        else post.get(f"{PREFIX}-{d['name']}", "")
        for d in spec.definitions
        if d["type"] != "file"
    }
    errors = {f"details.{spec.screenshot}": upload_errors} if upload_errors else {}
    common = {name: post.get(name, "") for name in COMMON}
    return PostedReport(answers, common, uploads, errors, one_time_token(post.get("token")))


def _submit(request: HttpRequest, report: PostedReport, from_path: str) -> Case:
    common = report.common
    return problems.report_problem(
        request.user,
        answers=report.answers,
        priority=common["priority"],
        urgent_reason=common["urgent_reason"],
        description=common["description"],
        upload_ids=report.upload_ids,
        watchers=watcher_names(common["watchers"]),
        context=problems.report_context(request.user, from_path),
        submission_key=report.token or None,
    ).case


def _bound_forms(spec: ProblemSpec, report: PostedReport) -> dict[str, Any]:
    data = {f"{PREFIX}-{name}": value for name, value in report.answers.items()}
    if spec.screenshot:
        data[spec.file_key] = report.upload_ids
    form = ProblemForm(data=report.common)
    answers = spec.answers_form(data=data, prefix=PREFIX, use_required_attribute=False)
    _add_errors(form, answers, report.errors)
    return {"form": form, "answers": answers, "uploads": report.uploads, "token": report.token}


def _add_errors(form: ProblemForm, answers: forms.Form, errors: Mapping[str, list[str]]) -> None:
    """Put submit_case's (or the upload's) errors next to their fields, in place of what the
    form found there itself."""
    form.is_valid()
    answers.is_valid()
    for key, messages in errors.items():
        target, name = (
            (answers, key.removeprefix("details."))
            if key.startswith("details.")
            else (
                form,
                key,
            )
        )
        if name not in target.fields:
            form.add_error(None, list(messages))
        else:
            target.errors.pop(name, None)  # the service's words for the same problem
            target.add_error(name, list(messages))


def _render(
    request: HttpRequest,
    spec: ProblemSpec,
    from_path: str,
    *,
    form: ProblemForm,
    answers: forms.Form,
    uploads: list[Upload],
    token: str,
) -> HttpResponse:
    """The form; a one-time token makes a retried submit find the case it already created."""
    definitions, screenshot = spec.definitions, spec.screenshot
    labels = {d["name"]: d["label"] for d in definitions}
    views: dict[str, FieldView] = {}
    for d in definitions:
        condition = d.get("required_if")
        note = f"Required when {describe_condition(condition, labels)}." if condition else ""
        views[d["name"]] = field_view(answers[d["name"]], note=note)
    urgent = "Required when Urgency is “Urgent”."
    for name in COMMON:
        views[name] = field_view(form[name], note=urgent if name == "urgent_reason" else "")
    if screenshot:
        views[screenshot].uploads = uploads
    # Page order: what is broken, how urgent, the story, the screenshot, who else to tell.
    order = [d["name"] for d in definitions if d["type"] != "file"]
    order += ["priority", "urgent_reason", "description", *([screenshot] if screenshot else [])]
    fields = [views[name] for name in [*order, "watchers"]]
    context = {
        "request_type": spec.request_type,
        "fields": fields,
        "errors": _error_summary(form, answers, fields),
        "uploads": uploads,
        "screenshot_key": spec.file_key,
        "token": token or str(uuid.uuid4()),
        "from_path": from_path,
        "reported_from": problems.report_context(request.user, from_path),
        "accept": accept_attribute(),
        "hint": attachment_hint(),
    }
    return render(request, "cases/problem_report.html", context)


def _error_summary(form: ProblemForm, answers: forms.Form, fields: list[FieldView]) -> list[dict]:
    """The list at the top of the page: every error, linking to its field."""
    whole_form = [*form.non_field_errors(), *answers.non_field_errors()]
    return [
        {"anchor": "problem-form", "label": "This report", "message": message}
        for message in whole_form
    ] + [
        {"anchor": fv.anchor, "label": fv.bf.label, "message": " ".join(fv.bf.errors)}
        for fv in fields
        if fv.bf.errors
    ]
