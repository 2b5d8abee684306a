"""deploy/ and docs/deployment.md stay true to the code: the variables, commands and limits
they name are the ones the code reads, runs and enforces."""

from __future__ import annotations

import configparser
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

from supportdesk import gunicorn_conf

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
PACKAGE = ROOT / "src" / "supportdesk"
ENV_EXAMPLE = DEPLOY / "supportdesk.env.example"
WEB_UNIT = DEPLOY / "supportdesk-web.service"
WORKER_UNIT = DEPLOY / "supportdesk-worker@.service"
NGINX = DEPLOY / "nginx.conf.example"

# Read by the code but meaningless in production, so deliberately not in the example file.
DEV_ONLY = {
    "EMAIL_FILE_PATH": "only for the file email backend, which dev setups use",
}

_READ = re.compile(
    r"""(?:env_(?:str|bool|int|float|list|networks)|os\.environ\.get|os\.getenv|os\.environ\[)"""
    r"""\(?\s*["']([A-Z][A-Z0-9_]*)["']"""
)
_ASSIGNED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


NOT_INHERITED = ("DATABASE_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")


def variables_read_by_code() -> set[str]:
    """Every environment variable named in a read anywhere in the package's source."""
    return {
        name
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        for name in _READ.findall(path.read_text())
    }


def variables_in_example() -> set[str]:
    """Every `NAME=` line of the example, set or commented out with its default."""
    return set(_ASSIGNED.findall(ENV_EXAMPLE.read_text()))


def example_values() -> dict[str, str]:
    """The variables the example sets (not the commented ones), unquoted as systemd does."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_the_scanner_finds_the_settings_reads():
    found = variables_read_by_code()
    assert {"SECRET_KEY", "DATABASE_URL", "CACHE_URL", "BIND", "WEB_WORKERS"} <= found
    assert {"METRICS_ALLOWED_IPS", "BEHIND_HTTPS_PROXY", "ATTACHMENT_MAX_MB"} <= found


def test_every_variable_in_the_example_is_read_by_the_code():
    unknown = variables_in_example() - variables_read_by_code()
    assert not unknown, f"deploy/supportdesk.env.example names variables nothing reads: {unknown}"


def test_every_variable_the_code_reads_is_in_the_example_or_dev_only():
    missing = variables_read_by_code() - variables_in_example() - set(DEV_ONLY)
    assert not missing, f"add these to deploy/supportdesk.env.example (or DEV_ONLY): {missing}"
    assert not set(DEV_ONLY) & variables_in_example()


def test_the_example_environment_passes_the_deploy_check(tmp_path):
    """The example's values parse (booleans, numbers, lists) and, with real secrets filled in,
    make a configuration that `check --deploy` passes at warning level."""
    values = example_values()
    assert values["SECRET_KEY"] == "change-me"  # a placeholder that stops startup if kept
    values |= {"SECRET_KEY": secrets.token_urlsafe(50), "SUPPORTDESK_VAR_DIR": str(tmp_path)}
    for name in ("DATABASE_URL", "CACHE_URL"):  # servers this test does not have
        values.pop(name)
    # Not the test run's own servers, nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE.
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    result = subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env | values,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_a_kept_placeholder_secret_key_stops_startup(tmp_path):
    values = example_values() | {"SUPPORTDESK_VAR_DIR": str(tmp_path)}
    values.pop("DATABASE_URL")
    values.pop("CACHE_URL")
    result = subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", "check"],
        env=dict(os.environ) | values,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


@pytest.mark.parametrize(
    ("path", "command"), [(WEB_UNIT, "serve"), (WORKER_UNIT, "worker")], ids=["web", "worker"]
)
def test_unit_runs_an_existing_command_with_valid_options(path, command):
    service = unit(path)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == f"{service['WorkingDirectory']}/.venv/bin/supportdesk"
    assert argv[1] == command
    assert command in get_commands()
    # The options after the command are ones it accepts (argparse exits on unknown ones).
    parser = load_command_class(get_commands()[command], command).create_parser(
        "supportdesk", command
    )
    parser.parse_args(argv[2:])


@pytest.mark.parametrize("path", [WEB_UNIT, WORKER_UNIT], ids=["web", "worker"])
def test_unit_has_the_required_keys_and_hardening(path):
    parsed = unit(path)
    assert parsed["Unit"]["Description"]
    assert parsed["Install"]["WantedBy"] == "multi-user.target"
    service = parsed["Service"]
    assert service["User"] == "supportdesk"
    assert service["EnvironmentFile"] == "/etc/supportdesk/supportdesk.env"
    assert service["Restart"] in ("always", "on-failure")
    assert service["KillSignal"] == "SIGTERM"
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "true"
    # Under ProtectSystem=strict only ReadWritePaths are writable: the var dir must be one.
    assert example_values()["SUPPORTDESK_VAR_DIR"] in service["ReadWritePaths"].split()


def test_web_unit_reloads_gunicorn_with_sighup():
    service = unit(WEB_UNIT)["Service"]
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service.get("Type", "simple") in ("simple", "exec")  # serve execs gunicorn in place
    assert int(service["TimeoutStopSec"]) > gunicorn_conf.graceful_timeout


def nginx_directives(name: str) -> list[str]:
    text = re.sub(r"#.*", "", NGINX.read_text())
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, re.MULTILINE)


def test_nginx_allows_uploads_of_the_attachment_limit():
    (limit,) = nginx_directives("client_max_body_size")
    assert limit.endswith("m")
    assert int(limit[:-1]) * 1024 * 1024 > settings.ATTACHMENT_MAX_BYTES


def test_nginx_sets_the_header_the_app_trusts_and_outwaits_gunicorn():
    headers = nginx_directives("proxy_set_header")
    # BEHIND_HTTPS_PROXY makes Django trust HTTP_X_FORWARDED_PROTO; nginx must overwrite it.
    assert "X-Forwarded-Proto $scheme" in headers
    assert "X-Request-ID $request_id" in headers
    (read_timeout,) = nginx_directives("proxy_read_timeout")
    assert int(read_timeout.rstrip("s")) > gunicorn_conf.timeout


def test_nginx_restricts_metrics():
    text = re.sub(r"#.*", "", NGINX.read_text())
    block = re.search(r"location = /metrics \{(.*?)\}", text, re.DOTALL)
    assert block is not None
    assert "deny all;" in block.group(1)


def test_the_guide_links_the_files_and_the_readme_links_the_guide():
    guide = (ROOT / "docs" / "deployment.md").read_text()
    for path in (ENV_EXAMPLE, WEB_UNIT, WORKER_UNIT, NGINX):
        assert path.name in guide
    assert "docs/deployment.md" in (ROOT / "README.md").read_text()
