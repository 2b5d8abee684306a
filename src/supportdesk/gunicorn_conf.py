"""gunicorn settings: `gunicorn -c python:supportdesk.gunicorn_conf supportdesk.wsgi`.

Sync workers by default: measured on 2 cores (bench/submit.py), they beat threaded workers
because keep-alive connections pin clients to one process and threads contend for the GIL.
Set WEB_THREADS above 1 for threaded workers (slow clients without a buffering proxy).
"""

from __future__ import annotations

import multiprocessing

from supportdesk.env import env_bool, env_int, env_str
from supportdesk.observability.logs import gunicorn_logconfig

bind = env_str("BIND", "127.0.0.1:8000")
workers = env_int("WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = env_int("WEB_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
keepalive = 5
timeout = env_int("WEB_TIMEOUT", 30)  # a worker stuck this long (a slow client) is replaced
graceful_timeout = 30
accesslog = None
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
if env_str("LOG_FORMAT", "text" if env_bool("DEBUG") else "json").strip().lower() == "json":
    logconfig_dict = gunicorn_logconfig(loglevel)


def post_worker_init(worker: object) -> None:
    """Load every view module and template now, then take all of it out of the garbage
    collector's sight (supportdesk/warm.py says why)."""
    import gc

    from supportdesk.warm import load_for_serving

    load_for_serving()
    gc.collect()
    gc.freeze()
