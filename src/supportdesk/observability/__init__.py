"""Production observability: request ids, JSON logs, an access log and Prometheus metrics.

A plain package (not an app): no models, no migrations. Wired up in settings (MIDDLEWARE,
LOGGING) and urls (/metrics).
"""
