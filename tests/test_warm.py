"""A server process loads every view and template before its first request (supportdesk/warm.py)."""

from __future__ import annotations

from django.template import engines
from django.template.loaders.cached import Loader as CachedLoader

from supportdesk.warm import load_for_serving, template_names


def test_serving_starts_with_every_shipped_template_compiled():
    names = template_names()
    assert {"base.html", "cases/case_detail.html", "lists/case_list.html"} <= set(names)
    (loader,) = engines["django"].engine.template_loaders
    assert isinstance(loader, CachedLoader)
    loader.reset()
    load_for_serving()
    assert set(names) <= set(loader.get_template_cache)  # all compiled, none failed
