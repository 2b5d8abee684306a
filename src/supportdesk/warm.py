"""What a server process loads before its first request: every view module and every template
the project ships. Then `gc.freeze()` can take all of it out of the garbage collector's sight
(gunicorn_conf.post_worker_init): otherwise each full collection walks every object loaded
since start-up, a pause of 20–30 ms every few dozen requests, which was most of the list
pages' p99 (bench/listviews.py)."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver


def template_names() -> list[str]:
    """The names of the templates in the apps' `templates` folders and the engines' DIRS."""
    folders = [Path(app.path) / "templates" for app in apps.get_app_configs()]
    for engine in engines.all():
        folders += [Path(folder) for folder in getattr(engine, "dirs", [])]
    return sorted(
        {
            path.relative_to(folder).as_posix()
            for folder in folders
            if folder.is_dir()
            for path in folder.rglob("*")
            if path.is_file() and path.suffix in (".html", ".txt", ".xml", ".md")
        }
    )


def load_for_serving() -> None:
    get_resolver().url_patterns  # noqa: B018 -- imports every view module
    names = template_names()
    for engine in engines.all():
        for name in names:
            try:
                engine.get_template(name)  # compiled now, and kept by the cached loader
            except (TemplateDoesNotExist, TemplateSyntaxError):
                continue  # another engine's (its folders), or a file that is not a template
