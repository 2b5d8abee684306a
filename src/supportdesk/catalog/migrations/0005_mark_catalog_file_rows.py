"""Mark the existing rows that the packaged catalog file holds as `from_catalog_file`.

Rows are matched by the keys loadcatalog uses (team and redirect names; a request type's kind,
team and name; a sub-request's type and name). Rows the file does not hold stay unmarked: an
admin may have added them, and loadcatalog no longer retires those. The next loadcatalog marks
every row of the file it is given (a custom --file too), so nothing else is needed here.
"""

from django.db import migrations


def mark_catalog_file_rows(apps, schema_editor):
    from supportdesk.catalog.definitions import CatalogError
    from supportdesk.catalog.loader import DEFAULT_PATH, read_catalog

    alias = schema_editor.connection.alias
    Team = apps.get_model("people", "Team")
    Redirect = apps.get_model("catalog", "Redirect")
    RequestType = apps.get_model("catalog", "RequestType")
    SubRequest = apps.get_model("catalog", "SubRequest")
    if not Team.objects.using(alias).exists():
        return  # a new database: the catalog is loaded (and marked) after migrating
    try:
        spec = read_catalog(DEFAULT_PATH)
    except CatalogError:
        return  # a file this code no longer reads: the next loadcatalog marks its rows
    Team.objects.using(alias).filter(name__in=[t.name for t in spec.teams]).update(
        from_catalog_file=True
    )
    Redirect.objects.using(alias).filter(name__in=[r.name for r in spec.redirects]).update(
        from_catalog_file=True
    )
    subs_by_type = {
        (t.kind, t.team, t.name): {s.name for s in t.sub_requests} for t in spec.request_types
    }
    types = RequestType.objects.using(alias).values_list("pk", "kind", "team__name", "name")
    type_subs = {
        pk: subs_by_type[key] for pk, *rest in types if (key := tuple(rest)) in subs_by_type
    }
    RequestType.objects.using(alias).filter(pk__in=list(type_subs)).update(from_catalog_file=True)
    subs = SubRequest.objects.using(alias).filter(request_type__in=list(type_subs))
    file_subs = [
        pk
        for pk, type_id, name in subs.values_list("pk", "request_type", "name")
        if name in type_subs[type_id]
    ]
    SubRequest.objects.using(alias).filter(pk__in=file_subs).update(from_catalog_file=True)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_from_catalog_file"),
        ("people", "0003_team_from_catalog_file"),
    ]

    operations = [
        migrations.RunPython(mark_catalog_file_rows, migrations.RunPython.noop, elidable=True),
    ]
