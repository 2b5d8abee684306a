"""url_for: reverse() for numeric arguments, each view name reversed once (url_builder)."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from supportdesk.url_builder import url_for


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("cases:detail", ("00000042",)),
        ("cases:attachment", ("00000042", 7)),
        ("cases:attachment_remove", ("00001234", 123456)),
        ("records:detail", (9,)),
        ("cases:home", ()),
    ],
)
def test_gives_what_reverse_gives(name, args):
    assert url_for(name, *args) == reverse(name, args=args)
    assert url_for(name, *args) == reverse(name, args=args)  # the second time from its pieces


def test_follows_the_script_prefix():
    try:
        set_script_prefix("/desk/")
        assert url_for("cases:detail", "00000042") == "/desk/cases/00000042/"
    finally:
        set_script_prefix("/")
    assert url_for("cases:detail", "00000042") == "/cases/00000042/"


def test_other_arguments_go_through_reverse():
    assert url_for("cases:detail", "a b") == reverse("cases:detail", args=["a b"])
    with pytest.raises(NoReverseMatch):
        url_for("records:detail", "x")
