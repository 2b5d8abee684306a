"""Benchmark: precision and recall of the "possible duplicates" prompt on a labelled set.

    python bench/duplicates.py                   # a throw-away SQLite database in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1/bench_dups python bench/duplicates.py  # empty DB
    python bench/duplicates.py --pairs 20 --near 24 --filler 50      # a tiny run

It migrates a fresh database and, in this process, builds one account per labelled pair (with
two opportunities) holding the pair's first case plus --background unrelated open cases, and
--filler cases on other accounts so the search index is not only the labelled set. Texts come
from 14 topics (discounts, PO mismatches, invoices, payments, ramps, splits…), each written
four ways (synonyms, another order, other wording); a pair's cases share the topic's details
(amounts, PO and invoice numbers, products, people) and use different wordings.

Labelled true duplicates (--pairs, the same ask worded differently):
  same-request   same record, team, request type and sub-request
  other-type     same record, another request type
  other-record   another record of the same account (a sibling opportunity, or the account)
Labelled near misses (--near, not duplicates):
  record-topic   same record, another request type, another ask
  account-topic  same account, another record, another ask
  closed         same record and request, same ask, but the first case is closed
  same-type      same record, team, request type and sub-request, another ask (the prompt's
                 rule shows these by definition: the catalog says they are the same request)

For each pair it runs `possible_duplicates` for the second request as its requester (who
owns every record) and counts: a true positive when the pair's first case of a duplicate pair
is shown; every other case shown is a false positive (the near miss's case, or a background
case). Recall = duplicate pairs found / duplicate pairs; precision = true positives / cases
shown. It prints both overall and by category, and the check's latency p50/p99.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import seed_data
from _common import database_name, pct, throwaway_env

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

PRODUCTS = [
    "Analytics Cloud",
    "Data Vault",
    "Edge Gateway",
    "Insight Suite",
    "Secure Mail",
    "Workflow Pro",
    "Field Service",
    "Commerce Hub",
]
PEOPLE = [
    "Maria Lopez",
    "James Chen",
    "Priya Natarajan",
    "Tom Becker",
    "Aisha Khan",
    "Lars Nilsson",
    "Emma Rossi",
    "David Park",
    "Sofia Alves",
    "Kenji Sato",
]
CITIES = ["Denver", "Austin", "Toronto", "Dublin", "Munich", "Singapore", "Chicago", "Leeds"]
STATES = ["Texas", "Ohio", "Florida", "Georgia", "Nevada", "Oregon"]
COMPANY_A = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay"]
COMPANY_B = ["Dynamics", "Logistics", "Foods", "Health", "Energy", "Systems", "Retail", "Labs"]

TOPICS: dict[str, list[str]] = {
    "discount": [
        "Customer wants a {pct}% discount on {product} for the renewal. Can Deal Desk approve "
        "it? The deal is ${amount}.",
        "Need approval for {pct} percent off {product} on this renewal (${amount} total). The "
        "customer is pushing hard on price.",
        "Requesting discount approval: {product}, {pct}% reduction, contract value ${amount}.",
        "Price concession for {product}: the buyer asked for {pct}% off a ${amount} renewal. "
        "Is that within guidelines?",
    ],
    "po_mismatch": [
        "The PO {po} from the customer shows ${amount} but our quote is different. How do we "
        "book this?",
        "Purchase order {po} doesn't match the quote amount; the PO says ${amount}. Need "
        "guidance to proceed.",
        "Mismatch between the quote and customer PO number {po} (${amount} on the PO). Can we "
        "accept it?",
        "Customer sent PO {po} for ${amount}, which differs from the signed quote. What should "
        "we do?",
    ],
    "invoice_address": [
        "Invoice {inv} was sent to the wrong billing address. The customer's new address is in "
        "{city}. Please reissue.",
        "Please correct the bill-to address on invoice {inv}; it should go to the {city} "
        "office, not the old one.",
        "Reissue invoice {inv} with the updated billing address in {city}, the customer can't "
        "pay the current one.",
        "The billing address on {inv} is outdated. The customer moved to {city} and needs a "
        "corrected invoice.",
    ],
    "payment_failed": [
        "Credit card payment for invoice {inv} failed twice. The customer ({person}) asks if "
        "they can pay by wire instead.",
        "Customer's card was declined on {inv}; {person} would like to switch to bank transfer.",
        "{person} reports the card charge for invoice {inv} keeps failing. Can we change the "
        "payment method to wire?",
        "Payment declined: invoice {inv}. Customer contact {person} prefers a wire transfer "
        "going forward.",
    ],
    "ramp_quote": [
        "Help building a ramped quote for {product}: {seats} seats in year one growing to "
        "{seats2} in year three.",
        "How do I set up a ramp deal in the quote tool? {product}, starting at {seats} users "
        "and ramping to {seats2}.",
        "Quote structure question: multi-year ramp for {product} from {seats} to {seats2} seats.",
        "I need a {product} quote that ramps seats over three years ({seats} to {seats2}). The "
        "configurator won't let me.",
    ],
    "coterm_addon": [
        "Customer wants to add {qty} {product} licenses mid-term and co-term them with the "
        "existing contract ending {date}.",
        "Add-on order: {qty} more {product} seats, co-terminated to {date}. How is the "
        "prorated price calculated?",
        "Can we co-term an add-on of {qty} {product} licences to the current end date {date}?",
        "Expansion mid-contract: {qty} additional {product} licenses aligned to the {date} "
        "renewal date.",
    ],
    "owner_change": [
        "Please transfer ownership of this opportunity to {person}; I am moving to another "
        "territory.",
        "Change the opportunity owner to {person}, territory realignment this quarter.",
        "Reassign this opp to {person}. I've changed territories and they're taking over the "
        "account.",
        "Owner update needed: {person} should own the opportunity after the territory change.",
    ],
    "tax_exempt": [
        "Customer is tax exempt; attached is their exemption certificate for {state}. Please "
        "remove sales tax from invoice {inv}.",
        "Remove tax from {inv}: the customer provided a {state} tax exemption certificate.",
        "Tax was charged on invoice {inv} but the customer is exempt in {state}. Certificate "
        "attached; please credit it.",
        "{state} exemption certificate received from the customer, so invoice {inv} should "
        "not include sales tax.",
    ],
    "booking": [
        "The opportunity was closed won on {date} but booking still shows it open. Can you fix "
        "the booking?",
        "Booking correction: deal closed won {date}, yet the order isn't booked in the system.",
        "Closed-won on {date} and still not booked. Please correct the booking so it counts "
        "this quarter.",
        "This deal shows as unbooked although we closed it on {date}. Need the booking fixed.",
    ],
    "cancel_autorenew": [
        "The customer sent notice to cancel auto-renewal of {product} before {date}. Please "
        "process the cancellation.",
        "Cancellation request: {product} auto renew should be turned off; customer notified us "
        "ahead of {date}.",
        "Customer does not want {product} to renew automatically on {date}. Please stop the "
        "auto-renewal.",
        "Stop auto-renew for {product}: written cancellation notice received, renewal date {date}.",
    ],
    "split": [
        "Please add an opportunity split: {pct}% credit to {person} who co-sold the deal.",
        "{person} helped close this; we agreed on a {pct}% revenue split. Can you set up the "
        "split?",
        "Split request: give {person} {pct} percent of the credit on this opportunity.",
        "Set up a sales credit split with {pct}% to {person} for co-selling.",
    ],
    "trial_extension": [
        "Extend the {product} trial by {days} days; the customer's evaluation ends soon and "
        "legal review is slow.",
        "Customer needs {days} more days on their {product} evaluation licences while "
        "procurement finishes.",
        "Can we lengthen the {product} proof of concept by {days} days? Their eval period is "
        "about to expire.",
        "Evaluation extension for {product}: {days} additional days requested by the customer.",
    ],
    "billing_contact": [
        "Update the billing contact to {person} ({email}); invoices should go to them from now on.",
        "New bill-to contact: {person}, {email}. Please change it in the billing account.",
        "Invoices must be emailed to {email} ({person}) instead of the old AP contact.",
        "Change the billing contact on the account to {person}, email {email}.",
    ],
    "duplicate_renewal": [
        "There are two renewal opportunities for {product} ending {date}; please merge or "
        "delete the duplicate renewal.",
        "Duplicate renewal opp created for the {date} {product} renewal. Can Renewal Ops "
        "remove one?",
        "We have a second renewal opportunity for {product} ({date}). One of them should be "
        "closed as duplicate.",
        "Two renewal records exist for the same {product} subscription expiring {date}, "
        "clean-up needed.",
    ],
}
DUPLICATE_KINDS = {"same-request": 0.3, "other-type": 0.3, "other-record": 0.4}
NEAR_KINDS = {"record-topic": 0.375, "account-topic": 0.375, "closed": 0.125, "same-type": 0.125}


def slots(rng: random.Random) -> dict[str, str]:
    person = rng.choice(PEOPLE)
    seats = rng.randrange(20, 400, 10)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return {
        "pct": str(rng.choice([8, 10, 12, 15, 18, 20, 22, 25, 30, 35])),
        "amount": f"{rng.randrange(20_000, 900_000, 500):,}",
        "product": rng.choice(PRODUCTS),
        "po": f"PO-{rng.randint(10000, 99999)}",
        "inv": f"INV-{rng.randint(100000, 999999)}",
        "city": rng.choice(CITIES),
        "state": rng.choice(STATES),
        "person": person,
        "email": person.lower().replace(" ", ".") + "@example.com",
        "seats": str(seats),
        "seats2": str(seats * rng.choice([2, 3, 4])),
        "qty": str(rng.randrange(5, 200, 5)),
        "date": f"2027-{month:02d}-{day:02d}",
        "days": str(rng.choice([14, 21, 30, 45, 60])),
    }


def text(rng: random.Random, topic: str, values: dict[str, str], avoid: int = -1) -> tuple:
    choices = [i for i in range(len(TOPICS[topic])) if i != avoid]
    i = rng.choice(choices)
    return TOPICS[topic][i].format(**values), i


def catalog_choices(kind: str) -> list[tuple]:
    """(request type, sub-request, answers) that need no files, for records of `kind`."""
    from submit import sample_answers

    from supportdesk.catalog.models import RequestType, effective_fields

    choices = []
    for rt in RequestType.objects.filter(kind=kind, is_active=True).select_related("team"):
        subs = list(rt.sub_requests.filter(is_active=True)) or [None]
        for sub in subs:
            answers = sample_answers(effective_fields(rt, sub))
            if answers is not None and not rt.approvals:
                choices.append((rt, sub, answers))
    return choices


@dataclass
class Pair:
    label: str  # a key of DUPLICATE_KINDS or NEAR_KINDS
    duplicate: bool
    first: object  # the case already there
    record: object  # the second request's record, type, sub-request and texts
    choice: tuple
    description: str


class World:
    """The requester, the catalog choices and a factory of accounts with two opportunities."""

    def __init__(self, rng: random.Random) -> None:
        from django.contrib.auth import get_user_model

        self.rng = rng
        self.rep = get_user_model().objects.create_user("bench-rep", "rep@example.com", "x")
        self.opportunity = catalog_choices("opportunity")
        self.account_choices = catalog_choices("customer_account")
        self.topic_choice = {
            t: i % len(self.opportunity) for i, t in enumerate(self.rng.sample(list(TOPICS), 14))
        }
        self.accounts = 0

    def account(self) -> tuple:
        from supportdesk.records.models import Kind, Record

        self.accounts += 1
        n = self.accounts
        name = f"{self.rng.choice(COMPANY_A)} {self.rng.choice(COMPANY_B)} {n}"
        account = Record.objects.create(
            kind=Kind.CUSTOMER_ACCOUNT, name=name, external_id=f"001B{n:08d}", owner=self.rep
        )
        opps = [
            Record.objects.create(
                kind=Kind.OPPORTUNITY,
                name=f"{name} — {label}",
                external_id=f"006B{n:08d}{j}",
                owner=self.rep,
                account=account,
            )
            for j, label in enumerate(("FY27 Renewal", "Expansion"))
        ]
        return account, opps

    def choice_for(self, record, topic: str, *, other_than: tuple | None = None) -> tuple:
        choices = self.opportunity if record.kind == "opportunity" else self.account_choices
        if other_than is None and record.kind == "opportunity":
            return choices[self.topic_choice[topic]]
        rest = [c for c in choices if other_than is None or c[:2] != other_than[:2]]
        return self.rng.choice(rest)

    def submit(self, record, choice: tuple, description: str):
        from supportdesk.cases.services import submit_case

        rt, sub, answers = choice
        return submit_case(
            self.rep,
            record=record,
            request_type=rt,
            sub_request=sub,
            description=description,
            answers=answers,
        ).case


def build_pair(world: World, label: str, background: int) -> Pair:
    from django.utils import timezone

    from supportdesk.cases.models import Case, Resolution, Status

    rng = world.rng
    account, opps = world.account()
    topic, other = rng.sample(list(TOPICS), 2)
    values = slots(rng)
    record = opps[0]
    choice = world.choice_for(record, topic)
    first_text, used = text(rng, topic, values)
    first = world.submit(record, choice, first_text)
    duplicate = label in DUPLICATE_KINDS
    new_record, new_choice = record, choice
    if duplicate or label == "closed":
        new_text, _ = text(rng, topic, values, avoid=used)
    else:
        new_text, _ = text(rng, other, slots(rng))
    if label in ("other-type", "record-topic"):
        new_choice = world.choice_for(record, topic, other_than=choice)
    elif label in ("other-record", "account-topic"):
        new_record = rng.choice([opps[1], account])
        new_choice = world.choice_for(new_record, other)
    if label == "closed":
        Case.objects.filter(pk=first.pk).update(
            status=Status.CLOSED, closed_at=timezone.now(), resolution=Resolution.RESOLVED
        )
    unrelated = [t for t in TOPICS if t not in (topic, other)]
    taken = {(record.pk, choice[:2]), (new_record.pk, new_choice[:2])}
    for _ in range(background):
        # Another request type than the pair's on the same record: the same request is the
        # `same-type` category's, counted there.
        where = rng.choice([*opps, account])
        t = rng.choice(unrelated)
        picked = world.choice_for(where, t)
        while (where.pk, picked[:2]) in taken:
            picked = world.choice_for(where, t, other_than=picked)
        world.submit(where, picked, text(rng, t, slots(rng))[0])
    return Pair(label, duplicate, first, new_record, new_choice, new_text)


def add_filler(world: World, count: int) -> None:
    """Cases on accounts of their own, written straight to the table and indexed in one go."""
    from supportdesk.cases.models import Case
    from supportdesk.search.documents import index_cases

    rng, made = world.rng, []
    start = (Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for i in range(count):
        if i % 4 == 0:
            account, opps = world.account()
        record = rng.choice(opps)
        topic = rng.choice(list(TOPICS))
        rt, sub, answers = world.choice_for(record, topic)
        made.append(
            Case(
                record=record,
                team_id=rt.team_id,
                request_type=rt,
                sub_request=sub,
                subject=f"{rt.label} — {record.name}",
                description=text(rng, topic, slots(rng))[0],
                details=answers,
                requester=world.rep,
            )
        )
    Case.objects.bulk_create(made, batch_size=500)
    index_cases(Case.objects.filter(pk__gte=start))


def plan(pairs: int, near: int) -> list[str]:
    labels = []
    for kinds, total in ((DUPLICATE_KINDS, pairs), (NEAR_KINDS, near)):
        counts = {k: round(total * share) for k, share in kinds.items()}
        counts[next(iter(kinds))] += total - sum(counts.values())
        labels += [k for k, n in counts.items() for _ in range(n)]
    return labels


def measure(world: World, built: list[Pair]) -> tuple[Counter, Counter, Counter, list[float]]:
    from supportdesk.cases.duplicates import possible_duplicates
    from supportdesk.cases.services import case_subject

    found, shown, false_shown, latencies = Counter(), Counter(), Counter(), []
    for pair in built:
        rt, sub, _ = pair.choice
        subject = case_subject(pair.record, rt, sub)
        started = time.perf_counter()
        candidates = possible_duplicates(world.rep, pair.record, rt, sub, subject, pair.description)
        latencies.append(time.perf_counter() - started)
        numbers = {c.case.pk for c in candidates}
        hit = pair.first.pk in numbers
        if pair.duplicate and hit:
            found[pair.label] += 1
        shown[pair.label] += len(numbers)
        false_shown[pair.label] += len(numbers) - (1 if pair.duplicate and hit else 0)
    return found, shown, false_shown, sorted(latencies)


def report(built: list[Pair], found, shown, false_shown, latencies, threshold: float) -> None:
    per = Counter(p.label for p in built)
    dups = sum(per[k] for k in DUPLICATE_KINDS)
    tp = sum(found.values())
    total_shown = sum(shown.values())
    recall = tp / dups if dups else 0.0
    precision = tp / total_shown if total_shown else 1.0
    print(f"threshold: {threshold}")
    for label in DUPLICATE_KINDS:
        print(
            f"  duplicate {label:<14} {per[label]:4d} pairs   found {found[label]:4d}   "
            f"recall {found[label] / max(per[label], 1):.3f}   other cases shown "
            f"{false_shown[label]}"
        )
    for label in NEAR_KINDS:
        print(
            f"  near miss {label:<14} {per[label]:4d} pairs   cases shown {shown[label]:4d} "
            "(all false)"
        )
    same_type_fp = shown["same-type"]
    rest = total_shown - same_type_fp
    print(
        f"recall: {recall:.3f}   precision: {precision:.3f}   "
        f"({tp} of {dups} duplicates found; {total_shown} cases shown, "
        f"{total_shown - tp} not duplicates)"
    )
    print(
        f"without the same-type near misses: precision {tp / rest if rest else 1.0:.3f}"
        f" ({same_type_fp} shown by the same-request rule)"
    )
    print(
        f"check:   {len(latencies)} checks   p50 {pct(latencies, 0.5):6.2f} ms   "
        f"p99 {pct(latencies, 0.99):6.2f} ms   mean {statistics.mean(latencies) * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=200, help="labelled true duplicates")
    parser.add_argument("--near", type=int, default=240, help="labelled near misses")
    parser.add_argument("--background", type=int, default=2, help="other open cases per pair")
    parser.add_argument("--filler", type=int, default=2000, help="cases on other accounts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, help="override SIMILARITY_THRESHOLD")
    parser.add_argument("--sweep", action="store_true", help="also try thresholds 0.15–0.5")
    args = parser.parse_args()

    env, tmp = throwaway_env()
    try:
        seed_data.setup_django(env)
        seed_data.migrate()
        from supportdesk.cases import duplicates

        rng = random.Random(args.seed)
        started = time.perf_counter()
        world = World(rng)
        labels = plan(args.pairs, args.near)
        rng.shuffle(labels)
        built = [build_pair(world, label, args.background) for label in labels]
        add_filler(world, args.filler)
        from supportdesk.cases.models import Case

        print(
            f"supportdesk duplicates benchmark — database {database_name()}, "
            f"{Case.objects.count()} cases, {len(built)} labelled checks, "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        if args.threshold is not None:
            duplicates.SIMILARITY_THRESHOLD = args.threshold
        thresholds = [duplicates.SIMILARITY_THRESHOLD]
        if args.sweep:
            thresholds += [0.1, 0.15, 0.2, 0.25, 0.3, 0.4]
        for threshold in thresholds:
            duplicates.SIMILARITY_THRESHOLD = threshold
            report(built, *measure(world, built), threshold)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
