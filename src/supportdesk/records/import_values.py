"""Cell values of a CRM export as records store them, and Salesforce ids in both their forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _suffix(id15: str) -> str:
    """The 3 characters that make a 15-character Salesforce id an 18-character one."""
    chunks = (id15[i : i + 5] for i in range(0, 15, 5))
    return "".join(
        SUFFIX_CHARS[sum(1 << j for j, c in enumerate(chunk) if "A" <= c <= "Z")]
        for chunk in chunks
    )


def _salesforce_like(value: str) -> bool:
    return value.isascii() and value.isalnum()


def id_forms(external_id: str) -> tuple[str, ...]:
    """The id as given, and its other Salesforce form when it is one (15 ↔ 18 characters)."""
    if _salesforce_like(external_id):
        if len(external_id) == 15:
            return external_id, external_id + _suffix(external_id)
        if len(external_id) == 18 and external_id[15:].upper() == _suffix(external_id[:15]):
            return external_id, external_id[:15]
    return (external_id,)


def id_key(external_id: str) -> str:
    """One key for both forms of a Salesforce id (its 18-character form); others as given."""
    forms = id_forms(external_id)
    if len(forms) == 1:
        return external_id
    id15 = min(forms, key=len)
    return id15 + _suffix(id15)


def parse_cell(text: str, kind: str | None) -> Any:
    """The stored value of a non-empty cell: an ISO date, a decimal kept as text (without
    trailing zeros when whole), an int, or the text. Raises ValueError with the reason."""
    if kind == "date":
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            raise ValueError(f"“{text}” is not a date (YYYY-MM-DD)") from None
    if kind in ("decimal", "integer"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
        whole = number.is_finite() and number == number.to_integral_value()
        if kind == "integer":
            if not whole:
                raise ValueError(f"“{text}” is not a whole number")
            return int(number)
        if not number.is_finite():
            raise ValueError(f"“{text}” is not a number (digits and a decimal point)")
        return str(int(number)) if whole else format(number, "f")
    return text
