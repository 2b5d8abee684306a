"""PreparedQuery: a queryset's SQL compiled once, run with new values (supportdesk.prepared)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, OuterRef

from supportdesk.cases.models import Case
from supportdesk.prepared import PreparedQuery
from tests.factories import quote_question

pytestmark = pytest.mark.django_db


def with_team_and_record(pk: int):
    return (
        Case.objects.select_related("team", "record__owner", "rating")
        .annotate(has_duplicates=Exists(Case.objects.filter(duplicate_of_id=OuterRef("pk"))))
        .filter(pk=pk)
    )


def fields(instance) -> dict:
    return {k: v for k, v in vars(instance).items() if k != "_state"}


def test_gives_what_the_queryset_gives_for_each_value(rep, opportunity, django_assert_num_queries):
    cases = [quote_question(rep, opportunity), quote_question(rep, opportunity)]
    cases[1].duplicate_of = cases[0]
    cases[1].save(update_fields=["duplicate_of"])
    prepared = PreparedQuery(Case, with_team_and_record)
    for case in cases:
        expected = with_team_and_record(case.pk).get()
        with django_assert_num_queries(1):  # the team, record and its owner come with it
            found = prepared.first(pk=case.pk)
            assert fields(found.team) == fields(expected.team)
            assert fields(found.record.owner) == fields(expected.record.owner)
            assert Case.rating.is_cached(found)
        assert fields(found) == fields(expected)
    assert [prepared.first(pk=c.pk).has_duplicates for c in cases] == [True, False]
    assert prepared.first(pk=cases[-1].pk + 1000) is None


def test_refuses_a_value_that_is_not_a_parameter_of_its_sql(rep, opportunity):
    quote_question(rep, opportunity)
    ignores_it = PreparedQuery(Case, lambda pk: Case.objects.all())
    with pytest.raises(ImproperlyConfigured):
        ignores_it.all(pk=1)
    next_two = PreparedQuery(Case, lambda n: Case.objects.filter(team_id__in=[n, n + 1]))
    with pytest.raises(ImproperlyConfigured):  # n + 1 is not n: it cannot be put back
        next_two.all(n=1)
