"""Whatever a client sends as answers, submitting either creates a case or names the errors.

Property-based: for request types from the real catalog, arbitrary JSON-ish answers must
never crash validation (a crash here would be a 500 in the wizard or the API).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportdesk.cases.services import SubmissionInvalid, SubmitResult, submit_case
from supportdesk.catalog.models import RequestType, SubRequest, effective_fields

pytestmark = pytest.mark.django_db

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["AWS", "GCP", "2027-01-31", "https://x.example/a", "a@b.example", "rita"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def choices() -> list[tuple[RequestType, SubRequest | None]]:
    pairs = []
    for request_type in RequestType.objects.filter(kind="opportunity").select_related("team"):
        subs = list(request_type.sub_requests.all()) or [None]
        pairs.extend((request_type, sub) for sub in subs)
    return pairs


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_arbitrary_answers_create_a_case_or_name_the_errors(data, rep, opportunity):
    request_type, sub = data.draw(st.sampled_from(choices()))
    names = [d["name"] for d in effective_fields(request_type, sub)]
    keys = st.sampled_from(names) | st.text(max_size=8) if names else st.text(max_size=8)
    answers = data.draw(st.dictionaries(keys, json_values, max_size=6))
    try:
        result = submit_case(
            rep,
            record=opportunity,
            request_type=request_type,
            sub_request=sub,
            priority=data.draw(st.sampled_from(["low", "medium", "high", "urgent", "bogus"])),
            urgent_reason=data.draw(st.text(max_size=20)),
            description=data.draw(st.text(max_size=50)),
            answers=answers,
            attachment_ids=data.draw(st.lists(st.text(max_size=40), max_size=2)),
        )
    except SubmissionInvalid as invalid:
        assert invalid.errors and all(messages for messages in invalid.errors.values())
    else:
        assert isinstance(result, SubmitResult) and result.created
