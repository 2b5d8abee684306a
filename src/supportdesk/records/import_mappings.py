"""Which CSV column feeds which record field or attribute, per record kind (`import-records`).

A mapping has three parts (the YAML given to `--mapping` has the same shape):

- `fields`: column → `external_id`, `name`, `owner` or `account`. Several columns may name the
  owner or the account: the first non-empty one (in mapping order) is used.
- `attributes`: column → attribute key (the keys the app reads, e.g. `close_date`, `stage`).
- `types`: attribute key → `date` (stored as an ISO date), `decimal` (a number kept as text,
  like the CRM sync does) or `integer`; other attributes are stored as text.

A `--mapping` file extends the kind's default: its entries replace or add to the default's, and
a column (or type) given as null drops it from the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supportdesk.records.models import Kind

FIELD_TARGETS = ("external_id", "name", "owner", "account")
TYPES = ("date", "decimal", "integer")


class MappingError(ValueError):
    """A mapping file that cannot be used; the message is for the user."""


@dataclass(frozen=True)
class ColumnMapping:
    fields: dict[str, str]
    attributes: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    def columns_for(self, target: str) -> list[str]:
        return [column for column, to in self.fields.items() if to == target]

    def as_yaml(self) -> str:
        data = {"fields": self.fields, "attributes": self.attributes, "types": self.types}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


IDENTITY = {"Id": "external_id", "Name": "name"}
# Email first; a username works too; a bare CRM user id (OwnerId) is reported as unresolved.
OWNER = {
    "Owner.Email": "owner",
    "OwnerEmail": "owner",
    "Owner.Username": "owner",
    "OwnerUsername": "owner",
    "OwnerId": "owner",
}
PARTNER = {"Partner_Account__c": "account", "AccountId": "account"}

DEFAULT_MAPPINGS: dict[str, ColumnMapping] = {
    Kind.OPPORTUNITY: ColumnMapping(
        fields={**IDENTITY, **OWNER, "AccountId": "account"},
        attributes={
            "StageName": "stage",
            "Amount": "amount",
            "CloseDate": "close_date",
            "Type": "order_type",
            "Renewal_Date__c": "renewal_date",
            "Probability": "probability",
            "ForecastCategoryName": "forecast_category",
            "CurrencyIsoCode": "currency",
        },
        types={
            "amount": "decimal",
            "close_date": "date",
            "renewal_date": "date",
            "probability": "decimal",
        },
    ),
    Kind.CUSTOMER_ACCOUNT: ColumnMapping(
        fields={**IDENTITY, **OWNER, "ParentId": "account"},
        attributes={
            "Segment__c": "segment",
            "NumberOfEmployees": "employee_count",
            "Region__c": "region",
            "Industry": "industry",
            "Type": "account_type",
            "Renewal_Date__c": "renewal_date",
        },
        types={"employee_count": "integer", "renewal_date": "date"},
    ),
    Kind.PARTNER_ACCOUNT: ColumnMapping(
        fields={**IDENTITY, **OWNER, "ParentId": "account"},
        attributes={
            "Partner_Tier__c": "partner_tier",
            "Type": "partner_type",
            "Segment__c": "segment",
            "NumberOfEmployees": "employee_count",
            "Renewal_Date__c": "renewal_date",
        },
        types={"employee_count": "integer", "renewal_date": "date"},
    ),
    Kind.CONTACT: ColumnMapping(
        fields={**IDENTITY, **OWNER, "AccountId": "account"},
        attributes={"Title": "title", "Email": "email", "Phone": "phone"},
    ),
    Kind.LEAD: ColumnMapping(
        fields={**IDENTITY, **OWNER},
        attributes={
            "Company": "company",
            "Status": "status",
            "Lead_Score__c": "score",
            "Email": "email",
            "LeadSource": "lead_source",
        },
        types={"score": "integer"},
    ),
    Kind.DEAL_REGISTRATION: ColumnMapping(
        fields={**IDENTITY, **OWNER, **PARTNER},
        attributes={"Status__c": "status", "Expiration_Date__c": "expiration_date"},
        types={"expiration_date": "date"},
    ),
    Kind.LABRA_LEAD: ColumnMapping(
        fields={**IDENTITY, **OWNER, **PARTNER}, attributes={"Marketplace__c": "marketplace"}
    ),
    Kind.LABRA_REFERRAL: ColumnMapping(
        fields={**IDENTITY, **OWNER, **PARTNER}, attributes={"Marketplace__c": "marketplace"}
    ),
    Kind.INFLUENCE_OBJECT: ColumnMapping(
        fields={**IDENTITY, **OWNER, **PARTNER}, attributes={"Influence_Type__c": "influence"}
    ),
}


def _merged(
    base: dict[str, str], extra: Any, part: str, allowed: tuple[str, ...] = ()
) -> dict[str, str]:
    if extra is None:
        return dict(base)
    if not isinstance(extra, Mapping):
        raise MappingError(f"“{part}” must map names to names.")
    merged = dict(base)
    for key, value in extra.items():
        if value is None:
            merged.pop(str(key), None)
        elif not isinstance(value, str) or (allowed and value not in allowed):
            choices = f" (one of {', '.join(allowed)})" if allowed else ""
            raise MappingError(f"“{part}: {key}” must be a name{choices}, not {value!r}.")
        else:
            merged[str(key)] = value
    return merged


def mapping_for(kind: str, overrides: Mapping[str, Any] | None = None) -> ColumnMapping:
    """The kind's default mapping, extended by `overrides` (parsed `--mapping` YAML)."""
    if kind not in DEFAULT_MAPPINGS:
        raise MappingError(f"Unknown kind “{kind}”; choose one of {', '.join(Kind.values)}.")
    base, overrides = DEFAULT_MAPPINGS[kind], overrides or {}
    if unknown := set(overrides) - {"fields", "attributes", "types"}:
        raise MappingError(f"Unknown mapping sections: {', '.join(sorted(map(str, unknown)))}.")
    mapping = ColumnMapping(
        fields=_merged(base.fields, overrides.get("fields"), "fields", FIELD_TARGETS),
        attributes=_merged(base.attributes, overrides.get("attributes"), "attributes"),
        types=_merged(base.types, overrides.get("types"), "types", TYPES),
    )
    for target in ("external_id", "name"):
        if len(mapping.columns_for(target)) != 1:
            raise MappingError(f"Map exactly one column to {target}.")
    return mapping


def load_mapping(kind: str, path: str | Path | None = None) -> ColumnMapping:
    """The effective mapping for `kind`: its default, extended by the YAML file at `path`."""
    if path is None:
        return mapping_for(kind)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise MappingError(f"Cannot read the mapping {path}: {err}") from None
    if data is not None and not isinstance(data, Mapping):
        raise MappingError(
            f"The mapping {path} must be a YAML mapping (fields, attributes, types)."
        )
    return mapping_for(kind, data)
