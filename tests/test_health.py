"""/healthz and /readyz, as a load balancer calls them (no login, no cookies)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from supportdesk import health
from supportdesk.notify.models import Schedule
from tests.notify.smtp import database_url, start_worker, stop_worker, wait_until


@pytest.fixture(autouse=True)
def _fresh_migration_check(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied", False)


def beat(seconds_ago: float) -> None:
    at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    Schedule.objects.update_or_create(
        name="worker.heartbeat", defaults={"next_run_at": at, "last_run_at": at}
    )


def test_healthz_answers_without_login_database_or_cookies(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert not response.cookies


def test_readyz_is_200_with_a_fresh_heartbeat(client, db):
    beat(seconds_ago=5)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "migrations": "ok", "worker": "ok"}
    assert not response.cookies


def test_readyz_is_503_when_the_heartbeat_is_old(client, db):
    beat(seconds_ago=300)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"].startswith("not seen since 20")
    assert response.json()["database"] == "ok"


def test_readyz_is_503_when_no_worker_ever_ran(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["worker"] == "not seen yet"


def test_any_periodic_tick_counts_as_a_worker_seen(client, db):
    now = timezone.now()
    Schedule.objects.create(name="sla", next_run_at=now, last_run_at=now)
    assert client.get("/readyz").status_code == 200


def test_single_process_installs_can_skip_the_worker_check(client, db, settings):
    settings.READYZ_REQUIRE_WORKER = False
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "migrations": "ok"}


def test_readyz_names_pending_migrations(client, db, monkeypatch):
    beat(seconds_ago=1)
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [("m1", False), ("m2", False)]
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending: 2"


def test_applied_migrations_are_checked_once_per_process(client, db, django_assert_num_queries):
    beat(seconds_ago=1)
    assert client.get("/readyz").status_code == 200
    with django_assert_num_queries(2):  # SELECT 1 and the heartbeat
        assert client.get("/readyz").status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_turns_readyz_green(client, tmp_path):
    assert client.get("/readyz").status_code == 503
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "SUPPORTDESK_VAR_DIR": str(tmp_path / "worker-var"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "WORKER_HEARTBEAT_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
    }
    worker = start_worker(env, tmp_path / "worker.log")
    # Generous: a worker starting beside a full parallel suite once took over 30 s in CI.
    try:
        wait_until(
            lambda: client.get("/readyz").status_code == 200, timeout=90, what="readyz to be 200"
        )
        wait_until(
            lambda: Schedule.objects.filter(
                name="worker.heartbeat", last_run_at__isnull=False
            ).exists(),
            timeout=90,
            what="the heartbeat job to run",
        )
    finally:
        stop_worker(worker)
