"""The SLA clock on the API's cases: stage and due times, from the case's own columns."""

from __future__ import annotations

import datetime as dt

import pytest

from supportdesk.cases.models import Case, SlaStage
from tests.factories import quote_question

pytestmark = pytest.mark.django_db


def test_a_case_carries_its_sla(rep_api, rep, opportunity):
    case = quote_question(rep, opportunity, priority="high")

    sla = rep_api.get(f"/api/v1/cases/{case.number}").json()["sla"]

    assert sla["stage"] == "on_track"
    assert dt.datetime.fromisoformat(sla["first_response_due"]) == case.first_response_due
    assert dt.datetime.fromisoformat(sla["due"]) == case.first_response_due
    assert dt.datetime.fromisoformat(sla["resolution_due"]) == case.resolution_due


def test_a_breached_case_says_so_and_a_case_from_before_slas_has_none(rep_api, rep, opportunity):
    breached = quote_question(rep, opportunity)
    Case.objects.filter(pk=breached.pk).update(sla_stage=SlaStage.BREACHED)
    older = quote_question(rep, opportunity)
    Case.objects.filter(pk=older.pk).update(first_response_due=None)

    assert rep_api.get(f"/api/v1/cases/{breached.number}").json()["sla"]["stage"] == "breached"
    assert rep_api.get(f"/api/v1/cases/{older.number}").json()["sla"] is None
