"""Every read of records, with the one access rule for records.

Read access: the owner, a user or team with a share (read or edit), or an ops admin (staff).
Edit access: the owner, a user or team with an edit share, or an ops admin.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from supportdesk.people.queries import team_ids_of
from supportdesk.records.models import Record, RecordShare


def _shares_for(user: AbstractBaseUser, *, edit_only: bool) -> QuerySet[RecordShare]:
    shares = RecordShare.objects.filter(Q(user=user) | Q(team_id__in=team_ids_of(user)))
    if edit_only:
        shares = shares.filter(level=RecordShare.Level.EDIT)
    return shares


def records_readable_by(user: AbstractBaseUser) -> QuerySet[Record]:
    if not user.is_authenticated or not user.is_active:
        return Record.objects.none()
    if user.is_staff:
        return Record.objects.all()
    shared = _shares_for(user, edit_only=False).filter(record=OuterRef("pk"))
    return Record.objects.filter(Q(owner=user) | Exists(shared))


def records_editable_by(user: AbstractBaseUser) -> QuerySet[Record]:
    if not user.is_authenticated or not user.is_active:
        return Record.objects.none()
    if user.is_staff:
        return Record.objects.all()
    shared = _shares_for(user, edit_only=True).filter(record=OuterRef("pk"))
    return Record.objects.filter(Q(owner=user) | Exists(shared))


def can_edit_record(user: AbstractBaseUser, record: Record) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or record.owner_id == user.pk:
        return True
    return _shares_for(user, edit_only=True).filter(record=record).exists()


def record_for(user: AbstractBaseUser, pk: int | str) -> Record:
    """The record if the user may read it; 404 otherwise (hidden and missing look the same)."""
    try:
        return records_readable_by(user).select_related("owner", "account").get(pk=int(pk))
    except (Record.DoesNotExist, ValueError, TypeError):
        raise Http404("No such record.") from None


def record_by_external_id(user: AbstractBaseUser, external_id: str) -> Record:
    try:
        return (
            records_readable_by(user)
            .select_related("owner", "account")
            .get(external_id=external_id)
        )
    except Record.DoesNotExist:
        raise Http404("No such record.") from None
