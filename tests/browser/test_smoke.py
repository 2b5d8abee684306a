"""The browser fixtures work end to end against the live server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_login_page_has_a_password_field(live_server, page):
    page.goto(live_server.url + "/accounts/login/")
    assert page.locator("input[type=password]").count() == 1
