"""The form that names a view and says who sees it (the list page supplies the rest)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from supportdesk.lists.models import ListView, Visibility
from supportdesk.lists.services import NAME_MAX
from supportdesk.people.models import Team
from supportdesk.people.queries import team_ids_of


class ViewForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX, label="View name")
    visibility = forms.ChoiceField(
        label="Who sees this view", widget=forms.RadioSelect, initial=Visibility.PRIVATE
    )
    teams = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Teams",
        help_text="When shared with teams: whose members see it (read-only; they can clone it).",
    )

    def __init__(
        self, *args: Any, user: AbstractBaseUser, view: ListView | None = None, **kwargs: Any
    ) -> None:
        if view is not None:
            kwargs.setdefault(
                "initial",
                {"name": view.name, "visibility": view.visibility, "teams": view.teams.all()},
            )
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(is_active=True)
        if not user.is_staff:
            teams = teams.filter(pk__in=team_ids_of(user))
        self.fields["teams"].queryset = teams
        choices = [(Visibility.PRIVATE.value, Visibility.PRIVATE.label)]
        if user.is_staff or team_ids_of(user):
            choices.append((Visibility.TEAMS.value, Visibility.TEAMS.label))
        published = view is not None and view.visibility == Visibility.EVERYONE
        if user.is_staff or published:
            choices.append((Visibility.EVERYONE.value, Visibility.EVERYONE.label))
        self.fields["visibility"].choices = choices
        if not teams.exists():
            self.fields.pop("teams")

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        """Service errors onto the fields (the others, e.g. filters, above the form)."""
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
