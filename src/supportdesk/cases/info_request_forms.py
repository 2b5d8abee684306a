"""The requester's form for answering the team's request for details: exactly the fields asked
for, built by the catalog's one form builder (same widgets and rules as the wizard), and a
comment. The rules themselves are checked again by `answer_info_request`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from supportdesk.cases.actions import COMMENT_MAX
from supportdesk.cases.display.formatting import FieldView, field_view, person
from supportdesk.cases.forms import ActionForm
from supportdesk.cases.info_requests import InfoRequest, open_info_request
from supportdesk.cases.models import Case, Status
from supportdesk.catalog.schema import answers_form_class, describe_condition, to_json

ANSWERS_PREFIX = "answers"


class InfoAnswerForm(ActionForm):
    """No version check: the answer is the requester's own, and a comment the team adds
    meanwhile must not send it back; the service checks the request is still open."""

    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything else the team should know. Markdown is supported.",
    )
    submit_label = "Send my answers"

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *args: Any,
        request: InfoRequest,
        **kwargs: Any,
    ):
        kwargs.setdefault("auto_id", "id_answer_%s")  # unique beside the composer's fields
        super().__init__(data, *args, **kwargs)
        del self.fields["version"], self.fields["seen"]
        self.request = request
        self.answers = answers_form_class(request.definitions)(
            data,
            prefix=ANSWERS_PREFIX,
            auto_id="id_answer_%s",
            initial=dict(self.case.details or {}),
        )

    @property
    def asked_by(self) -> str:
        return person(self.request.asked_by) if self.request.asked_by else "The team"

    def is_valid(self) -> bool:
        valid = super().is_valid()
        return self.answers.is_valid() and valid

    def answer_values(self) -> dict[str, Any]:
        return {
            d["name"]: to_json(self.answers.cleaned_data.get(d["name"]))
            for d in self.request.definitions
        }

    def add_action_errors(self, errors: Mapping[str, list[str]]) -> None:
        for key, problems in errors.items():
            name = key.removeprefix(f"{ANSWERS_PREFIX}.")
            if key != name and name in self.answers.fields:
                self.answers.add_error(name, list(problems))
            else:
                self.add_error(key if key in self.fields else None, list(problems))

    def field_views(self) -> list[FieldView]:
        labels = {d["name"]: d["label"] for d in self.request.definitions}
        views = []
        for definition in self.request.definitions:
            condition = definition.get("required_if")
            note = f"Required when {describe_condition(condition, labels)}." if condition else ""
            views.append(field_view(self.answers[definition["name"]], note=note))
        return views + super().field_views()

    def has_errors(self) -> bool:
        return self.is_bound and bool(self.errors or self.answers.errors)

    def general_errors(self) -> list[str]:
        answers = list(self.answers.non_field_errors()) if self.is_bound else []
        return super().general_errors() + answers


def answer_form_for(case: Case, user: AbstractBaseUser) -> InfoAnswerForm | None:
    """The empty answer form, for the requester of a case waiting on fields from them."""
    if user.pk != case.requester_id or case.status != Status.PENDING_RESPONSE:
        return None
    request = open_info_request(case)
    if request is None:
        return None
    return InfoAnswerForm(case=case, user=user, request=request)
