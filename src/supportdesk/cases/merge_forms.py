"""The case page's "Merge into another case…" action: its form and what it runs."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from supportdesk.cases.actions import COMMENT_MAX
from supportdesk.cases.forms import ActionForm
from supportdesk.cases.merge import merge_case
from supportdesk.cases.models import Case


class MergeForm(ActionForm):
    into = forms.CharField(
        label="Master case number",
        max_length=20,
        help_text="The case this one duplicates, e.g. 00000042. It must be open and one you "
        "can see; it may belong to another team.",
        error_messages={"required": "Enter the number of the case this one duplicates."},
    )
    reason = forms.CharField(
        label="Why it is a duplicate",
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Both feeds show it, and the requester reads it.",
        error_messages={"required": "Say why this case is a duplicate."},
    )
    submit_label = "Merge and close this case"
    intro = (
        "This case closes as a duplicate. Its requester and watchers become watchers of the "
        "master, and its files are copied there."
    )

    def clean_into(self) -> str:
        return self.cleaned_data["into"].strip().lstrip("#").strip()


def run_merge(case: Case, user: AbstractBaseUser, form: MergeForm) -> str:
    data = form.cleaned_data
    duplicate = merge_case(
        case, into=data["into"], agent=user, reason=data["reason"], version=form.expected_version
    )
    return (
        f"Case {duplicate.number} is closed as a duplicate of case {duplicate.duplicate_of.number}."
    )
