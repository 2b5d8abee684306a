"""gunicorn settings: `gunicorn -c python:supportdesk.gunicorn_conf supportdesk.wsgi`.

Threads let one process keep serving while another request waits on the database (with
SQLite, for the single write lock); keep-alive spares clients a new connection per request.
"""

from __future__ import annotations

import multiprocessing

from supportdesk.env import env_int, env_str

bind = env_str("BIND", "127.0.0.1:8000")
workers = env_int("WEB_WORKERS", multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = env_int("WEB_THREADS", 4)
keepalive = 5
timeout = 30
graceful_timeout = 30
accesslog = None
errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
