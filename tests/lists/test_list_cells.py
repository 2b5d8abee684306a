"""The table's cells as the page writes them (pages.Row.html): times in the viewer's time zone
as Django's date formats write them, links to the case and the record, text escaped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from tests.factories import RecordFactory
from tests.lists.conftest import a_case

pytestmark = pytest.mark.django_db

COLUMNS = "number,subject,created_at,needed_by,record,owner,sla_due"


def test_a_row_shows_times_links_and_text_as_django_writes_them(login, rep, settings):
    settings.TIME_ZONE = "Europe/Paris"
    record = RecordFactory(owner=rep, name="Acme & Sons <Renewal>")
    created = dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.UTC)  # 6 March in Paris
    case = a_case(
        rep,
        record,
        subject="Quote <b>now</b> & later",
        created_at=created,
        needed_by=dt.date(2026, 4, 1),
        sla_due=None,
    )
    body = login(rep).get(f"/cases/?view=my-requests&columns={COLUMNS}").content.decode()

    local = timezone.localtime(created)
    url = f"/cases/{case.number}/"
    assert date_format(local, "j M Y, H:i") == "6 Mar 2026, 00:30"
    expected = (
        f'<tr><td><a href="{url}">{case.number}</a></td>'
        f'<td><a href="{url}">Quote &lt;b&gt;now&lt;/b&gt; &amp; later</a></td>'
        f'<td><time datetime="{local.isoformat()}">6 Mar 2026, 00:30</time></td>'
        '<td><time datetime="2026-04-01">1 Apr 2026</time></td>'
        f'<td><a href="/records/{record.pk}/">Acme &amp; Sons &lt;Renewal&gt;</a></td>'
        "<td>Deal Desk queue</td>"
        '<td><span class="muted" aria-label="empty">—</span></td></tr>'
    )
    assert expected in body, body[body.find("<tbody>") : body.find("</tbody>")]
