#!/usr/bin/env python3
"""Set up and run supportdesk on a bare machine with nothing but Python 3.11+ (stdlib only).

    python3 dev.py start [ADDR:PORT]   install (runtime lock), migrate, load the catalog,
                                       create the demo data, serve on http://127.0.0.1:8000
                                       with a background worker beside it (emails printed)
    python3 dev.py test [PYTEST ARGS]  install (dev lock) and run the test suite
    python3 dev.py run CMD [ARGS]      install (dev lock) and run CMD from .venv/bin (ruff, ...)
    python3 dev.py lock [--upgrade]    regenerate requirements/*.txt with pip-tools (throwaway venv)

Everything goes into ./.venv (created if missing or broken). pip runs only when the lock file
or pyproject.toml changed since the last install; delete .venv for a clean rebuild.
"""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIN_PYTHON = (3, 11)
ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
RUNTIME_LOCK = ROOT / "requirements" / "lock.txt"
DEV_LOCK = ROOT / "requirements" / "dev-lock.txt"
PIP_TOOLS = "pip-tools==7.7.0"
URL = "http://127.0.0.1:8000/"


def say(message):
    print(f"dev.py: {message}", flush=True)


def die(message, code=1):
    print(f"dev.py: ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def run(step, args, **kwargs):
    """Run one step, echoing it; stop with a clear message naming the step if it fails."""
    say(f"{step}: {' '.join(str(a) for a in args)}")
    try:
        code = subprocess.call([str(a) for a in args], cwd=ROOT, **kwargs)
    except OSError as err:
        die(f"step '{step}' could not start: {err}")
    if code != 0:
        die(f"step '{step}' failed (exit {code}).", code)


def venv_is_usable():
    if not PYTHON.exists():
        return False
    check = f"import sys; sys.exit(sys.version_info < {MIN_PYTHON!r})"
    try:
        return subprocess.call([str(PYTHON), "-c", check], stderr=subprocess.DEVNULL) == 0
    except OSError:
        return False


def ensure_venv(lock):
    """Create .venv if missing or broken, then install `lock` + the project unless up to date."""
    if not venv_is_usable():
        if VENV.exists():
            say(f"{VENV.name} is broken or too old; recreating it")
            shutil.rmtree(VENV)
        say(f"creating {VENV.name} with Python {sys.version.split()[0]}")
        if subprocess.call([sys.executable, "-m", "venv", str(VENV)]) != 0:
            die(
                "could not create the virtualenv. On Debian/Ubuntu the venv module is a "
                "separate package (python3-venv)."
            )
    digest = hashlib.sha256(lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes())
    stamp = VENV / f".installed-{lock.stem}"
    if stamp.exists() and stamp.read_text().strip() == digest.hexdigest():
        say(f"{VENV.name} is up to date with {lock.relative_to(ROOT)}")
        return
    say(f"installing {lock.relative_to(ROOT)} into {VENV.name} (first run takes a minute)")
    pip = [PYTHON, "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    run("install locked dependencies", [*pip, "-r", lock])
    run("install supportdesk (editable)", [*pip, "--no-deps", "-e", ROOT])
    stamp.write_text(digest.hexdigest() + "\n")


def supportdesk(step, *args):
    run(step, [BIN / "supportdesk", *args])


def cmd_start(args):
    if len(args) > 1:
        die("usage: python3 dev.py start [ADDR:PORT]")
    addrport = args[0] if args else "127.0.0.1:8000"
    url = f"http://{addrport}/" if args else URL
    os.environ.setdefault("DEBUG", "true")  # runserver serves static files; override with DEBUG=
    # Demo mode: the worker prints each email instead of sending it (set EMAIL_BACKEND and
    # EMAIL_HOST to send through a real server).
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    ensure_venv(RUNTIME_LOCK)
    supportdesk("migrate", "migrate", "--noinput")
    supportdesk("load catalog", "loadcatalog")
    supportdesk("demo data", "demo")  # prints the demo logins
    say(f"serving supportdesk at {url} (log in with a demo login above; Ctrl+C stops)")
    if os.environ["EMAIL_BACKEND"].endswith("console.EmailBackend"):
        say("emails are not sent: the worker prints them here (see README, Notifications)")
    sys.exit(serve_with_worker(addrport))


def serve_with_worker(addrport):
    """runserver and `supportdesk worker` as children; when one stops, or on Ctrl+C or SIGTERM,
    both stop. Ctrl+C reaches both: the worker finishes its current task, then exits."""
    say("starting the background worker (emails, digests, reminders): supportdesk worker")
    worker = subprocess.Popen([str(BIN / "supportdesk"), "worker"], cwd=ROOT)
    server = subprocess.Popen([str(BIN / "supportdesk"), "runserver", addrport], cwd=ROOT)
    signal.signal(signal.SIGTERM, _terminated)
    grace = 0
    try:
        while server.poll() is None and worker.poll() is None:
            time.sleep(0.5)
        code = server.returncode if server.returncode is not None else worker.returncode
        if worker.returncode not in (None, 0):
            say(f"the worker stopped (exit {worker.returncode}); stopping the server too")
    except KeyboardInterrupt:  # Ctrl+C: the children got it too and are stopping
        code, grace = 130, 10
    except SystemExit as stop:  # SIGTERM to dev.py alone
        code = stop.code
    finally:
        stop_child(server, grace=min(grace, 3))
        stop_child(worker, grace=grace)
    return code


def _terminated(signum, frame):
    raise SystemExit(128 + signum)


def stop_child(process, grace):
    """Let a child that was already signalled finish for `grace` seconds, then SIGTERM (the
    worker's graceful stop), then kill it."""
    for signal_it, wait in ((None, grace), (process.terminate, 15), (process.kill, 5)):
        if process.poll() is not None:
            return
        if signal_it is not None:
            signal_it()
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            pass
        except KeyboardInterrupt:
            continue


def cmd_test(args):
    ensure_venv(DEV_LOCK)
    if not args:  # the whole suite: one pytest-xdist worker per core (about half the time)
        args = ["-n", "auto"]
    say(f"running: pytest {' '.join(args)}".rstrip())
    try:
        code = subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT)
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def cmd_run(args):
    if not args:
        die("usage: python3 dev.py run CMD [ARGS...]")
    ensure_venv(DEV_LOCK)
    exe = BIN / args[0]
    run(args[0], [exe if exe.exists() else args[0], *args[1:]])


def cmd_lock(args):
    """Regenerate both lock files. Pins already in the files are kept unless --upgrade."""
    with tempfile.TemporaryDirectory(prefix="supportdesk-lock-") as tmp:
        tools = Path(tmp) / "venv"
        run("create throwaway venv", [sys.executable, "-m", "venv", tools])
        tool_bin = tools / ("Scripts" if os.name == "nt" else "bin")
        run("install pip-tools", [tool_bin / "python", "-m", "pip", "install", "-q", PIP_TOOLS])
        compile_ = [tool_bin / "pip-compile", "--quiet", "--strip-extras", "--no-emit-index-url"]
        compile_ += ["--no-emit-find-links", "--no-emit-trusted-host"]
        env = dict(os.environ, CUSTOM_COMPILE_COMMAND="python3 dev.py lock")
        dev, runtime = DEV_LOCK.relative_to(ROOT), RUNTIME_LOCK.relative_to(ROOT)
        run(
            "compile dev lock",
            [*compile_, *args, "--extra", "dev", "-o", dev, "pyproject.toml"],
            env=env,
        )
        # The runtime lock is constrained by the dev lock, so both pin the same versions.
        run(
            "compile runtime lock",
            [*compile_, "-c", dev, "-o", runtime, "pyproject.toml"],
            env=env,
        )
    say(f"wrote {dev} and {runtime}")


COMMANDS = {"start": cmd_start, "test": cmd_test, "run": cmd_run, "lock": cmd_lock}


def main():
    if sys.version_info < MIN_PYTHON:
        die(
            "supportdesk needs Python {}.{} or newer; this is {} ({}). Run dev.py with a newer "
            "python, e.g. `python3.11 dev.py start`.".format(
                *MIN_PYTHON, sys.version.split()[0], sys.executable
            )
        )
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__.strip())
        sys.exit(2)
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
