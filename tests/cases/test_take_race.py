"""Twenty agents press "Take ownership" on the same case at the same moment (issue 3).

Exactly one wins; the other nineteen are told who has it (CaseConflict "already taken by …",
or ActionNotAllowed) and nothing is overwritten: one owner, one owner-change event, one
status change, version 2.

Real threads, each with its own database connection, released together by a barrier, so the
database's row lock (`SELECT … FOR UPDATE` in `actions._lock`) is what decides. Run it against
PostgreSQL (DATABASE_URL=postgres://…); see the SQLite note on `skip_on_shared_memory_sqlite`.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from supportdesk.cases.actions import ActionNotAllowed, CaseConflict, take_case
from supportdesk.cases.models import Case, CaseEvent, Status
from supportdesk.people.models import Membership
from tests.conftest import team
from tests.factories import MembershipFactory, UserFactory, quote_question

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THREADS = 20


@pytest.fixture
def skip_on_shared_memory_sqlite():
    """SQLite serialises writers, so the race would be decided the same way (one write lock)
    and the assertions would hold; but pytest-django's SQLite test database is an in-memory
    database in shared-cache mode, where concurrent connections fail with "database table is
    locked" (SQLITE_LOCKED ignores the busy timeout) instead of queueing. That tests SQLite's
    shared cache, not our code: the race is only meaningful on a file database or PostgreSQL.
    """
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            f"in-memory SQLite ({settings_dict['NAME']}) cannot run concurrent writers; "
            "run with DATABASE_URL=postgres://… to race for real"
        )


def race(case: Case, agents: list, *, with_version: bool) -> list[tuple[str, str]]:
    """Every agent takes the case at once; each thread's outcome as (kind, message)."""
    barrier = threading.Barrier(len(agents))
    outcomes: list[tuple[str, str]] = [("not run", "")] * len(agents)

    def take(i: int) -> None:
        try:
            seen = Case.objects.get(pk=case.pk)  # every page was opened before anyone took it
            barrier.wait(timeout=30)
            take_case(seen, agent=agents[i], version=seen.version if with_version else None)
            outcomes[i] = ("won", "")
        except CaseConflict as lost:
            outcomes[i] = ("conflict", str(lost))
        except ActionNotAllowed as refused:
            outcomes[i] = ("not allowed", str(refused))
        except BaseException as error:  # reported by the assertions below
            outcomes[i] = ("error", repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(agents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a taker hung"
    return outcomes


@pytest.mark.parametrize(
    "with_version",
    [False, True],
    ids=["from the case page (no version)", "from the API (with the version it read)"],
)
def test_twenty_agents_take_one_case_and_exactly_one_wins(
    skip_on_shared_memory_sqlite, rep, opportunity, with_version
):
    deal_desk = team("Deal Desk")
    agents = []
    for i in range(THREADS):
        agent = UserFactory(username=f"agent{i:02d}", first_name="Agent", last_name=f"{i:02d}")
        MembershipFactory(user=agent, team=deal_desk, role=Membership.Role.AGENT)
        agents.append(agent)
    case = quote_question(rep, opportunity)

    outcomes = race(case, agents, with_version=with_version)

    kinds = Counter(kind for kind, _ in outcomes)
    assert kinds["won"] == 1, outcomes
    assert kinds["conflict"] + kinds["not allowed"] == THREADS - 1, outcomes
    winner = agents[[kind for kind, _ in outcomes].index("won")]
    case.refresh_from_db()
    assert (case.owner, case.status, case.version) == (winner, Status.WORK_IN_PROGRESS, 2)
    if not with_version:  # the losers are told who has it
        expected = f"already taken by {winner.get_full_name()}"
        assert all(expected in message for kind, message in outcomes if kind != "won"), outcomes
    events = Counter(case.events.values_list("kind", flat=True))
    assert events[CaseEvent.OWNER_CHANGED] == 1
    assert events[CaseEvent.STATUS_CHANGED] == 1
    assert case.events.get(kind=CaseEvent.OWNER_CHANGED).actor == winner
