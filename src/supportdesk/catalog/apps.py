from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections, router
from django.db.models.signals import post_delete, post_migrate, post_save


class CatalogConfig(AppConfig):
    name = "supportdesk.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        post_migrate.connect(
            load_catalog_on_first_migrate, sender=self, dispatch_uid="catalog.load_on_first_migrate"
        )
        from supportdesk.catalog.models import RequestType, SubRequest
        from supportdesk.catalog.signals import catalog_changed
        from supportdesk.people.models import Team

        for model in (RequestType, SubRequest, Team):
            for signal in (post_save, post_delete):
                signal.connect(
                    catalog_changed, sender=model, dispatch_uid=f"catalog.{model.__name__}"
                )


def load_catalog_on_first_migrate(
    sender: AppConfig, *, using: str, verbosity: int = 1, stdout: Any = None, **kwargs: Any
) -> None:
    """Load the packaged catalog after the catalog app is migrated, if no request type exists.

    Runs for fresh databases (including test databases, and again after a test flush), never
    over a catalog that is already there: later changes go through `supportdesk loadcatalog`.
    """
    from supportdesk.catalog.loader import load_catalog
    from supportdesk.catalog.models import RequestType

    if not router.allow_migrate_model(using, RequestType):
        return
    if RequestType._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated backwards, past the catalog's tables
    if RequestType.objects.using(using).exists():
        return
    report = load_catalog(using=using)
    if verbosity >= 1 and stdout is not None:
        stdout.write(f"  Loaded the request catalog ({report.summary()})\n")
