"""`supportdesk user add` and `supportdesk token create|revoke`, driven through call_command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from supportdesk.people.models import ApiToken, Membership, Team, hash_token
from supportdesk.people.services import PeopleError, user_upsert

PW, PW2 = "a long enough password", "another long password"  # pass the validators

pytestmark = pytest.mark.django_db
User = get_user_model()


def cli(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def teams() -> dict[str, Team]:
    deal_desk, _ = Team.objects.get_or_create(name="Deal Desk", defaults={"slug": "deal-desk"})
    queue, _ = Team.objects.get_or_create(name="CLI Test Queue", defaults={"slug": "cli-test"})
    queue.aliases = ["CLIQ"]
    queue.save()
    return {"deal_desk": deal_desk, "queue": queue}


def roles_of(user: User) -> dict[str, str]:
    return {m.team.name: m.role for m in Membership.objects.filter(user=user)}


def test_user_add_creates_a_user_who_can_log_in(teams):
    out = cli(
        "user", "add", "alice", "--password", "s3cret-pass", "--email", "Alice@Example.COM",
        "--name", "Alice van der Berg", "--team", "Deal Desk",
    )  # fmt: skip
    alice = User.objects.get(username="alice")
    assert alice.check_password("s3cret-pass")
    assert alice.email == "Alice@example.com"
    assert (alice.first_name, alice.last_name) == ("Alice", "van der Berg")
    assert roles_of(alice) == {"Deal Desk": "agent"}
    assert not alice.is_staff
    assert not alice.is_superuser
    assert "User alice: agent in Deal Desk." in out


def test_user_add_pairs_each_role_with_the_team_before_it_and_accepts_aliases(teams):
    cli("user", "add", "bob", "--password", PW, "--team", "CLIQ", "--team", "Deal Desk",
        "--role", "lead")  # fmt: skip
    bob = User.objects.get(username="bob")
    assert roles_of(bob) == {"CLI Test Queue": "agent", "Deal Desk": "lead"}


def test_user_add_is_idempotent_and_updates_an_existing_user(teams):
    args = ("user", "add", "carol", "--password", PW, "--team", "Deal Desk")
    cli(*args)
    cli(*args)
    assert User.objects.filter(username="carol").count() == 1
    assert Membership.objects.filter(user__username="carol").count() == 1

    cli("user", "add", "carol", "--password", PW2, "--email", "c@example.com",
        "--team", "Deal Desk", "--role", "lead", "--team", "CLI Test Queue", "--admin")  # fmt: skip
    carol = User.objects.get(username="carol")
    assert carol.check_password(PW2)
    assert carol.email == "c@example.com"
    assert roles_of(carol) == {"Deal Desk": "lead", "CLI Test Queue": "agent"}
    assert carol.is_staff
    assert carol.is_superuser

    cli("user", "add", "carol", "--password", PW2)  # no --admin, no --team: nothing removed
    carol.refresh_from_db()
    assert carol.is_superuser
    assert roles_of(carol) == {"Deal Desk": "lead", "CLI Test Queue": "agent"}


def test_user_add_with_an_unknown_team_lists_the_valid_names_and_writes_nothing(teams):
    with pytest.raises(CommandError) as err:
        cli("user", "add", "dave", "--password", PW, "--team", "Deal Desk", "--team", "Nope")
    assert "Unknown team 'Nope'" in str(err.value)
    assert "Deal Desk" in str(err.value)
    assert "CLI Test Queue" in str(err.value)
    assert not User.objects.filter(username="dave").exists()


def test_user_add_rejects_a_role_without_its_team(teams):
    with pytest.raises(CommandError, match="--role must follow"):
        cli("user", "add", "erin", "--password", PW, "--role", "lead")
    with pytest.raises(CommandError, match="--role must follow"):
        cli("user", "add", "erin", "--password", PW, "--team", "CLIQ", "--role", "lead",
            "--role", "agent")  # fmt: skip
    with pytest.raises(CommandError, match="invalid choice"):
        cli("user", "add", "erin", "--password", PW, "--team", "CLIQ", "--role", "boss")
    assert not User.objects.filter(username="erin").exists()


def test_user_add_requires_a_password_and_a_valid_username(teams):
    with pytest.raises(CommandError, match="--password"):
        cli("user", "add", "frank")
    with pytest.raises(CommandError, match="Invalid username"):
        cli("user", "add", "frank smith", "--password", PW)
    assert not User.objects.filter(username__startswith="frank").exists()


@pytest.fixture
def alice(teams):
    cli("user", "add", "alice", "--password", PW)
    return User.objects.get(username="alice")


def test_token_create_prints_the_raw_token_last_and_stores_only_its_hash(alice):
    out = cli("token", "create", "alice", "--name", "laptop", "--scope", "read")
    raw = out.rstrip("\n").splitlines()[-1]
    assert raw.startswith(ApiToken.PREFIX)
    assert len(raw) > 30
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash == hash_token(raw)
    assert raw not in {token.key_hash, token.hint, token.name}
    assert token.hint == raw[:8]
    assert (token.name, token.scope, token.expires_at) == ("laptop", "read", None)
    assert token.is_usable


def test_token_create_defaults_to_read_write_and_can_expire(alice):
    before = timezone.now()
    out = cli("token", "create", "alice", "--expires-days", "30")
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash == hash_token(out.splitlines()[-1])
    assert (token.name, token.scope) == ("cli", "read+write")
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)


def test_each_token_is_different(alice):
    first = cli("token", "create", "alice").splitlines()[-1]
    second = cli("token", "create", "alice").splitlines()[-1]
    assert first != second
    assert ApiToken.objects.filter(user=alice).count() == 2


def test_token_create_for_an_unknown_user_or_with_bad_options_fails(alice):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        cli("token", "create", "nobody")
    with pytest.raises(CommandError, match="invalid choice"):
        cli("token", "create", "alice", "--scope", "admin")
    with pytest.raises(CommandError, match="--expires-days"):
        cli("token", "create", "alice", "--expires-days", "0")
    assert not ApiToken.objects.exists()


def test_token_revoke_revokes_once_and_knows_unknown_ids(alice):
    cli("token", "create", "alice", "--name", "laptop")
    token = ApiToken.objects.get(user=alice)
    assert "revoked." in cli("token", "revoke", str(token.pk))
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.is_usable
    assert "already revoked" in cli("token", "revoke", str(token.pk))
    with pytest.raises(CommandError, match="No token with id 999"):
        cli("token", "revoke", "999")


def test_user_upsert_rejects_an_unknown_role_and_leaves_new_users_without_a_password(teams):
    with pytest.raises(PeopleError, match="Unknown role 'boss'"):
        user_upsert(username="gina", memberships=[("Deal Desk", "boss")])
    assert not User.objects.filter(username="gina").exists()
    gina = user_upsert(username="gina")
    assert not gina.has_usable_password()
