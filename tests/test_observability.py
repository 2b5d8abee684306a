"""Request ids, the JSON and access logs, /metrics, and HTTPS behind a proxy."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django_tasks_db.models import DBTaskResult

from supportdesk.env import check_secret_key, env_networks
from supportdesk.observability.logs import (
    JsonFormatter,
    RequestIdFilter,
    logging_config,
    request_id_var,
)
from tests.factories import quote_question

pytestmark = pytest.mark.django_db

SAMPLE = re.compile(r'([a-z_]+)(?:\{((?:[a-z_]+="[^"\\]*",?)*)\})? (-?[0-9.e+]+|\+Inf)')


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:
    """/metrics parsed: every line a comment or a sample; this process's samples by name and
    labels (without `pid`)."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples, typed = {}, set()
    for line in response.content.decode().splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:]
            assert kind in ("counter", "gauge", "histogram")
            typed.add(name)
            continue
        if line.startswith("# HELP "):
            continue
        match = SAMPLE.fullmatch(line)
        assert match, f"not a Prometheus sample: {line!r}"
        name, labels, value = match.groups()
        pairs = dict(re.findall(r'([a-z_]+)="([^"]*)"', labels or ""))
        assert re.sub(r"_(bucket|sum|count)$", "", name) in typed or name in typed
        if pairs.pop("pid", str(os.getpid())) == str(os.getpid()):
            samples[(name, frozenset(pairs.items()))] = float(value)
    return samples


def requests_total(samples, method="GET", status="2xx") -> float:
    key = (
        "supportdesk_http_requests_total",
        frozenset({"method": method, "status": status}.items()),
    )
    return samples.get(key, 0)


def gauge(samples, name, **labels) -> float:
    return samples[(name, frozenset(labels.items()))]


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


# Request ids


def test_each_response_carries_a_new_request_id(client):
    first, second = client.get("/accounts/login/"), client.get("/accounts/login/")
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_proxys_request_id_is_kept_when_safe(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42.1_x"})
    assert response["X-Request-ID"] == "lb-7f3a:42.1_x"


@pytest.mark.parametrize("given", ["x" * 65, "evil\r\nSet-Cookie: a=b", "a b", "<script>", ""])
def test_an_unsafe_request_id_is_replaced(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


# Logs


def access_records(caplog):
    return [r for r in caplog.records if r.name == "supportdesk.access"]


def test_one_access_log_line_per_request_with_its_request_id(client, rep, caplog):
    client.force_login(rep)
    with caplog.at_level(logging.INFO, logger="supportdesk.access"):
        response = client.get("/accounts/login/", headers={"X-Request-ID": "req-1"})
    (record,) = access_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/accounts/login/", 200)
    assert record.user_id == rep.pk and record.request_id == "req-1" == response["X-Request-ID"]
    assert record.duration_ms >= 0
    assert record.getMessage().startswith("GET /accounts/login/ 200 ")
    assert record.getMessage().endswith(f"ms user={rep.pk}")


def test_anonymous_and_not_found_requests_are_logged_without_a_user(client, caplog):
    with caplog.at_level(logging.INFO, logger="supportdesk.access"):
        client.get("/no-such-page/")
    (record,) = access_records(caplog)
    assert (record.status, record.user_id) == (404, None)


def test_health_probes_and_scrapes_are_not_logged(staff_client, caplog):
    with caplog.at_level(logging.INFO, logger="supportdesk.access"):
        staff_client.get("/healthz")
        staff_client.get("/readyz")
        staff_client.get("/metrics")
    assert access_records(caplog) == []


def test_json_formatter_writes_one_object_with_the_request_id_and_extras():
    record = logging.LogRecord(
        "supportdesk.cases", logging.WARNING, __file__, 1, "hi %s", ("x",), None
    )
    token = request_id_var.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    record.case_id = 42
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "hi x" and entry["level"] == "WARNING"
    assert entry["logger"] == "supportdesk.cases"
    assert entry["request_id"] == "abc123" and entry["case_id"] == 42
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])


def test_json_formatter_includes_the_traceback():
    try:
        raise ValueError("broken")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] is None
    assert "ValueError: broken" in entry["exc_info"]


# /metrics


def test_metrics_are_hidden_from_anonymous_users_and_non_staff(client, rep):
    assert client.get("/metrics").status_code == 404
    client.force_login(rep)
    assert client.get("/metrics").status_code == 404


def test_staff_may_read_the_metrics(staff_client):
    assert staff_client.get("/metrics").status_code == 200


def test_a_scraper_with_the_bearer_token_may_read_the_metrics(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert (
        client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    )
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "s3cret-token"}).status_code == 404


def test_no_token_configured_means_no_token_works(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    ("allowed", "status"),
    [(["127.0.0.1"], 200), (["127.0.0.0/8"], 200), (["10.0.0.0/8", "::1"], 404), ([], 404)],
)
def test_allow_listed_addresses_may_read_the_metrics(client, settings, allowed, status):
    settings.METRICS_ALLOWED_IPS = allowed  # the test client's REMOTE_ADDR is 127.0.0.1
    assert client.get("/metrics").status_code == status


def test_a_forwarded_for_header_does_not_pass_the_allow_list(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.1.2.3"]
    response = client.get("/metrics", headers={"X-Forwarded-For": "10.1.2.3"})
    assert response.status_code == 404


def scrape_status(client, forwarded: str | None = None, **extra) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return client.get("/metrics", headers=headers, **extra).status_code


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_checked(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.1.2.0/24"]
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client connects from 127.0.0.1
    assert scrape_status(client, "10.1.2.3") == 200
    assert scrape_status(client, "203.0.113.9") == 404
    # The proxy appends the address it saw; entries left of it are the client's own words.
    assert scrape_status(client, "10.1.2.3, 203.0.113.9") == 404
    assert scrape_status(client, "10.1.2.3, not-an-address") == 404
    assert scrape_status(client) == 404  # no header: the proxy itself is not allowed


def test_trusted_proxies_in_a_chain_are_skipped_from_the_right(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.1.2.3"]
    settings.TRUSTED_PROXIES = ["127.0.0.1", "192.168.0.0/16", "fd00::/8"]
    assert scrape_status(client, "10.1.2.3, 192.168.5.5:8080") == 200
    assert scrape_status(client, "10.1.2.3, [fd00::5]:443, 192.168.5.5") == 200
    assert scrape_status(client, "10.1.2.3, 203.0.113.9, 192.168.5.5") == 404


def test_a_forwarded_for_header_from_an_untrusted_address_is_ignored(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.1.2.3", "127.0.0.1"]
    settings.TRUSTED_PROXIES = ["192.168.0.0/16"]
    assert scrape_status(client, "10.1.2.3", REMOTE_ADDR="198.51.100.7") == 404
    assert scrape_status(client, "198.51.100.7") == 200  # the socket's 127.0.0.1 is allowed


def test_request_counts_and_latencies_grow_with_requests_but_not_with_probes(staff_client):
    before = scrape(staff_client)
    staff_client.get("/accounts/login/")
    staff_client.get("/no-such-page/")
    staff_client.post("/no-such-page/")
    staff_client.get("/healthz")
    staff_client.get("/readyz")
    after = scrape(staff_client)
    assert requests_total(after) == requests_total(before) + 1
    assert requests_total(after, "GET", "4xx") == requests_total(before, "GET", "4xx") + 1
    assert requests_total(after, "POST", "4xx") == requests_total(before, "POST", "4xx") + 1
    count = ("supportdesk_http_request_duration_seconds_count", frozenset())
    inf = ("supportdesk_http_request_duration_seconds_bucket", frozenset({("le", "+Inf")}))
    assert after[count] == before[count] + 3 == after[inf]
    buckets = [v for (name, _), v in after.items() if name.endswith("_bucket")]
    assert buckets == sorted(buckets)  # cumulative


def test_queue_depth_failed_tasks_and_open_cases_come_from_the_database(
    staff_client, rep, opportunity
):
    before = scrape(staff_client)
    assert gauge(before, "supportdesk_tasks_ready", queue="webhooks") == 0
    case = quote_question(rep, opportunity)
    DBTaskResult.objects.create(
        task_path="supportdesk.notify.tasks.run_periodic",
        args_kwargs={"args": ["x"], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        run_after=case.created_at,
        status="FAILED",
        exception_class_path="builtins.ValueError",
        traceback="",
    )
    ready = DBTaskResult.objects.filter(status="READY")
    after = scrape(staff_client)
    for queue in ("default", "email", "webhooks"):
        expected = ready.filter(queue_name=queue).count()
        assert gauge(after, "supportdesk_tasks_ready", queue=queue) == expected
    assert gauge(after, "supportdesk_tasks_failed") == gauge(before, "supportdesk_tasks_failed") + 1
    opened = gauge(after, "supportdesk_cases_open", status="new")
    assert opened == gauge(before, "supportdesk_cases_open", status="new") + 1
    assert gauge(after, "supportdesk_cases_open", status="on_hold") == 0


# HTTPS behind a proxy


def test_plain_http_is_redirected_except_for_the_probes(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    redirected = client.get("/accounts/login/")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/accounts/login/"
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)  # answered, not redirected
    secure = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# Settings


def test_metrics_allow_list_must_be_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_IPS", "10.0.0.0/8, ::1,192.168.1.7")
    assert env_networks("METRICS_ALLOWED_IPS") == ["10.0.0.0/8", "::1/128", "192.168.1.7/32"]
    monkeypatch.setenv("METRICS_ALLOWED_IPS", "10.0.0.0/8,prometheus.internal")
    with pytest.raises(ImproperlyConfigured, match="not 'prometheus.internal'"):
        env_networks("METRICS_ALLOWED_IPS")


@pytest.mark.parametrize(
    "key", ["changeme", "x" * 60, "django-insecure-" + "a1b2c3d4e5" * 5, "s3cr3t" * 8]
)
def test_a_guessable_secret_key_stops_startup_unless_debug(key):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is too weak"):
        check_secret_key(key, debug=False)
    check_secret_key(key, debug=True)


def test_a_long_random_secret_key_is_accepted():
    check_secret_key(secrets.token_urlsafe(50), debug=False)


def test_log_format_is_json_or_text():
    assert logging_config(log_format="json", level="INFO")["formatters"]["default"] == {
        "()": "supportdesk.observability.logs.JsonFormatter"
    }
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be json or text"):
        logging_config(log_format="xml", level="INFO")
