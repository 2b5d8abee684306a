"""Benchmark: `supportdesk import-records` on a Salesforce-style export of 200,000 opportunities.

    python bench/import_records.py                   # a throw-away SQLite database
    python bench/import_records.py --db postgres     # a throw-away PostgreSQL database
    python bench/import_records.py --rows 5000       # a quick run

It migrates a fresh database, creates --owners users (the opportunities' owners, found by
email), writes two CSV files as a CRM export has them (accounts: Id, Name, Owner.Email;
opportunities: Id, Name, Owner.Email, AccountId, StageName, Amount, CloseDate, Type,
Probability, CurrencyIsoCode) and runs the real command as an operator does, in a subprocess:
the accounts first, then the opportunities (timed: rows/s), then the same opportunities file
again (nothing changes: rows/s of a re-run).
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset  # noqa: E402
from _common import BIN  # noqa: E402

STAGES = ("1-Qualify", "2-Discover", "3-Solution", "4-Proposal", "5-Negotiate", "Closed Won")
TYPES = ("New Business", "Renewal", "Expansion")


def write_files(folder: Path, rows: int, accounts: int, owners: int) -> tuple[Path, Path]:
    rng = random.Random(1)
    account_file, opportunity_file = folder / "accounts.csv", folder / "opportunities.csv"
    with account_file.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Id", "Name", "Owner.Email"])
        for i in range(accounts):
            owner = f"owner{rng.randrange(owners)}@example.com"
            writer.writerow([f"001IMP{i:09d}", f"Account {i} Holdings", owner])
    with opportunity_file.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["Id", "Name", "Owner.Email", "AccountId", "StageName", "Amount", "CloseDate"]
            + ["Type", "Probability", "CurrencyIsoCode"]
        )
        for i in range(rows):
            account = rng.randrange(accounts)
            writer.writerow(
                [
                    f"006IMP{i:09d}",
                    f"Account {account} Holdings — {rng.choice(TYPES)} {2026 + i % 3}",
                    f"owner{rng.randrange(owners)}@example.com",
                    f"001IMP{account:09d}",
                    rng.choice(STAGES),
                    f"{rng.randrange(1_000, 2_000_000)}.00",
                    f"2027-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    rng.choice(TYPES),
                    str(rng.choice((10, 25, 50, 75, 90))),
                    "USD",
                ]
            )
    return account_file, opportunity_file


def create_owners(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    unusable = make_password(None)
    get_user_model().objects.bulk_create(
        get_user_model()(username=f"owner{i}", email=f"owner{i}@example.com", password=unusable)
        for i in range(count)
    )


def run_import(env: dict[str, str], path: Path, kind: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = subprocess.run(
        [str(BIN / "supportdesk"), "import-records", str(path), "--kind", kind],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, out.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--owners", type=int, default=200)
    args = parser.parse_args()
    db = dataset.Database.create(args.db)
    try:
        dataset.setup(db)
        create_owners(args.owners)
        env = db.env | {"LOG_LEVEL": "WARNING"}
        accounts, opportunities = write_files(Path(db.tmp), args.rows, args.accounts, args.owners)
        print(f"supportdesk import benchmark — {db.vendor}, {args.rows:,} opportunities")
        for label, path, kind, rows in (
            ("accounts", accounts, "customer_account", args.accounts),
            ("opportunities", opportunities, "opportunity", args.rows),
            ("again, unchanged", opportunities, "opportunity", args.rows),
        ):
            seconds, summary = run_import(env, path, kind)
            print(
                f"{label:<17} {rows:>8,} rows in {seconds:6.1f} s = {rows / seconds:8,.0f} rows/s"
            )
            print(f"{'':<17} {summary}")
    finally:
        db.drop()


if __name__ == "__main__":
    main()
