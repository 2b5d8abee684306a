"""The requester answers the team's request for details from the case page (the form is on
the page itself; see `info_request_forms`). Works without JavaScript; under htmx the form
swaps itself on errors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from supportdesk.cases.actions import ActionInvalid, ActionNotAllowed
from supportdesk.cases.case_views import _case_page, _done, _partial, _refused
from supportdesk.cases.info_request_forms import InfoAnswerForm
from supportdesk.cases.info_requests import answer_info_request, open_info_request
from supportdesk.cases.queries import case_for


@login_required
@require_POST
def case_answer(request: HttpRequest, number: str) -> HttpResponse:
    """Save the answers and the comment, back to Work in Progress; errors keep the input."""
    case = case_for(request.user, number)
    info = open_info_request(case) if request.user.pk == case.requester_id else None
    if info is None:
        return _refused(request, case, f"Case {case.number} is not waiting for details from you.")
    form = InfoAnswerForm(request.POST, case=case, user=request.user, request=info)
    if form.is_valid():
        try:
            answer_info_request(
                case,
                requester=request.user,
                answers=form.answer_values(),
                comment=form.cleaned_data["comment"],
            )
        except ActionInvalid as invalid:
            form.add_action_errors(invalid.errors)
        except ActionNotAllowed as refused:
            return _refused(request, case, str(refused))
        else:
            messages.success(
                request, "Thank you: your answers went to the team and the case is back with them."
            )
            return _done(request, case)
    if _partial(request):
        return render(request, "cases/_info_request.html", {"case": case, "answer_form": form})
    return _case_page(request, case, answer_form=form)
