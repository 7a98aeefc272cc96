"""Finance properties (hypothesis): money arithmetic is exact, totals are exact sums, a
reversal and its replacement leave the totals of the corrected values, and the finance
rows always reconcile with the ledger.

Each database example runs in its own savepoint, rolled back at its end, with a fresh
partnership: examples never see each other's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from sinergi.core.errors import Conflict
from sinergi.finance import services
from sinergi.finance.models import (
    COUNTING_STATUSES,
    Rollup,
    Transaction,
    TransactionStatus,
)
from sinergi.finance.money import MAX_AMOUNT, convert, minor_unit, quantize
from sinergi.finance.reconcile import reconcile
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Partnership
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    ParticipationFactory,
    PartnershipFactory,
    PersonFactory,
)

DB_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CURRENCIES = ["IDR", "USD", "KWD", "JPY", "EUR", "BHD", "CLF"]
MAX_RATE = Decimal("99999999999999")


def half_up(value: Fraction, digits: int) -> Decimal:
    """The exact value rounded half away from zero to `digits` places, by integer maths."""
    scaled = value * 10**digits
    whole, rest = divmod(abs(scaled.numerator), scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    return Decimal(whole if scaled >= 0 else -whole).scaleb(-digits)


def in_minor_units(digits: int, low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-digits))


# ---------------------------------------------------------------- money, no database


def test_minor_units_are_those_used_in_practice():
    assert (minor_unit("IDR"), minor_unit("USD"), minor_unit("KWD")) == (0, 2, 3)


@settings(max_examples=300, deadline=None)
@given(
    currency=st.sampled_from(CURRENCIES),
    value=st.decimals(
        min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, allow_nan=False, allow_infinity=False
    ),
)
def test_quantize_rounds_half_up_once_and_is_idempotent(currency, value):
    digits = minor_unit(currency)
    rounded = quantize(value, currency)

    assert rounded == half_up(Fraction(value), digits)
    assert rounded.as_tuple().exponent == -digits
    assert quantize(rounded, currency) == rounded
    assert abs(rounded - value) <= Decimal(1).scaleb(-digits) / 2


def test_convert_rounds_a_product_longer_than_28_digits_once():
    """9999999959999999.999 KWD at 1.0000000001 is 9999999960999999.99|49999999999 USD:
    the product has 29 digits, and rounding it to Python's default 28 first would make
    the tail exactly a half and round it up a cent."""
    amount, rate = Decimal("9999999959999999.999"), Decimal("1.0000000001")
    assert convert(amount, rate, "USD") == Decimal("9999999960999999.99")


@settings(max_examples=500, deadline=None)
@given(
    currency=st.sampled_from(CURRENCIES),
    base=st.sampled_from(CURRENCIES),
    rate=in_minor_units(10, 1, int(MAX_RATE) * 10**10),
    scale=st.fractions(0, 1),
)
def test_convert_is_the_exact_product_rounded_half_up_once(currency, base, rate, scale):
    """Over everything the fields can hold: amounts up to 10^16 in the currency's minor
    unit, rates with 10 decimals, results that fit a base amount."""
    digits = minor_unit(currency)
    largest = int(Fraction(MAX_AMOUNT) / Fraction(rate) * 10**digits)
    amount = Decimal(max(1, int(largest * scale))).scaleb(-digits)

    converted = convert(amount, rate, base)

    assert converted == half_up(Fraction(amount) * Fraction(rate), minor_unit(base))
    assert converted.as_tuple().exponent == -minor_unit(base)


@settings(max_examples=200, deadline=None)
@given(
    amounts=st.lists(in_minor_units(2, 1, 10**12), min_size=1, max_size=30),
    rate=in_minor_units(10, 1, 10**15),
)
def test_a_sum_of_converted_amounts_is_exact(amounts, rate):
    """Summing rounded base amounts loses nothing: the Decimal sum is the exact sum."""
    converted = [convert(amount, rate, "IDR") for amount in amounts]
    assert sum(converted, Decimal(0)) == sum((Fraction(c) for c in converted), Fraction(0))


# ---------------------------------------------------------------- the books, in the database


@dataclass
class Partners:
    partnership: Partnership
    funder: Organisation
    ngo: Organisation
    ngo_admin: Person
    coordinators: list[Person]
    rates: dict[str, Decimal]


def set_up(base: str, rates: dict[str, Decimal], threshold: Decimal | None, required: int):
    partnership = PartnershipFactory(base_currency=base)
    funder, ngo = OrganisationFactory(), OrganisationFactory()
    ParticipationFactory(partnership=partnership, organisation=funder, role="1")
    ParticipationFactory(partnership=partnership, organisation=ngo, role="4")

    def member(role: str) -> Person:
        person = PersonFactory(organisation=ngo)
        MembershipFactory(partnership=partnership, person=person, role=role)
        return person

    coordinators = [member("coordinator"), member("coordinator")]
    for currency, rate in rates.items():
        services.set_rate(
            actor=coordinators[0],
            partnership=partnership,
            currency=currency,
            date=date(2026, 1, 1),
            rate=rate,
        )
    if threshold is not None:
        services.set_approval_rule(
            actor=coordinators[0], partnership=partnership, threshold=threshold, required=required
        )
    rates = {**rates, base: Decimal(1)}
    return Partners(partnership, funder, ngo, member("partner_admin"), coordinators, rates)


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint undone at the end: the next example starts from the same database."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@dataclass
class Figure:
    """The model's view of one transaction: what it should count for."""

    tx: Transaction
    base: Decimal
    status: str
    deciders: set[int] = field(default_factory=set)
    reversed: bool = False
    reversal: bool = False

    @property
    def counts(self) -> bool:
        return self.status in COUNTING_STATUSES


def record(partners: Partners, kind: str, amount: Decimal, currency: str, month: int):
    fields = {
        "transaction_type": kind,
        "amount": amount,
        "currency": currency,
        "value_date": date(2026, month, 1 + month),
    }
    if kind == "1":
        fields |= {"provider_organisation": partners.funder, "receiver_organisation": partners.ngo}
    else:
        fields |= {"provider_organisation": partners.ngo, "receiver_name": "PT Dingin Sejahtera"}
    return services.record_transaction(
        actor=partners.ngo_admin, partnership=partners.partnership, **fields
    )


def exact_base(partners: Partners, amount: Decimal, currency: str) -> Decimal:
    digits = minor_unit(partners.partnership.base_currency)
    return half_up(Fraction(amount) * Fraction(partners.rates[currency]), digits)


def initial_status(
    kind: str, base: Decimal, threshold: Decimal | None
) -> str:  # mirrors the approval rule
    if kind == "4" and threshold is not None and base > threshold:
        return TransactionStatus.PENDING
    return TransactionStatus.RECORDED


def amounts(currency: str) -> st.SearchStrategy[Decimal]:
    return in_minor_units(minor_unit(currency), 1, 10 ** (6 + minor_unit(currency)))


OTHER = ["USD", "KWD", "EUR"]
operation = st.one_of(
    st.tuples(
        st.just("record"),
        st.sampled_from(["1", "3", "4", "4"]),
        st.sampled_from(["IDR", "USD", "KWD", "EUR"]).flatmap(
            lambda c: st.tuples(st.just(c), amounts(c))
        ),
        st.integers(1, 11),  # value dates to 2026-11-12: none after today
    ),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
    st.tuples(
        st.just("correct"),
        st.integers(0, 30),
        st.sampled_from(["IDR", "USD", "KWD"]).flatmap(lambda c: st.tuples(st.just(c), amounts(c))),
    ),
    st.tuples(st.just("approve"), st.integers(0, 30)),
    st.tuples(st.just("reject"), st.integers(0, 30)),
)
books = st.fixed_dictionaries(
    {
        "base": st.sampled_from(["IDR", "USD"]),
        "rates": st.fixed_dictionaries(
            {c: in_minor_units(10, 1, 10**15) for c in ["IDR", "USD", "KWD", "EUR"]}
        ),
        # Mostly a rule, with a threshold most expenditures pass.
        "threshold": st.one_of(
            st.none(), in_minor_units(0, 0, 1000), st.just(Decimal(0)), in_minor_units(0, 0, 10**9)
        ),
        "required": st.integers(1, 2),
        "operations": st.lists(operation, min_size=3, max_size=14),
    }
)


def play(case: dict) -> tuple[Partners, list[Figure]]:
    """Run the operations through the services, keeping the model's expectations."""
    base = case["base"]
    rates = {c: r for c, r in case["rates"].items() if c != base}
    partners = set_up(base, rates, case["threshold"], case["required"])
    figures: list[Figure] = []

    def pick(index: int, wanted) -> Figure | None:
        candidates = [f for f in figures if wanted(f)]
        return candidates[index % len(candidates)] if candidates else None

    def correctable(figure: Figure) -> bool:
        return (
            not figure.reversal
            and not figure.reversed
            and figure.status
            in (
                TransactionStatus.RECORDED,
                TransactionStatus.REJECTED,
            )
        )

    def add(tx: Transaction, currency: str, amount: Decimal, kind: str) -> Figure:
        exact = exact_base(partners, amount, currency)
        figure = Figure(tx, exact, initial_status(kind, exact, case["threshold"]))
        assert tx.base_amount == exact and tx.status == figure.status
        figures.append(figure)
        return figure

    def reversed_(figure: Figure, reversal: Transaction) -> None:
        figure.reversed = True
        status = TransactionStatus.RECORDED if figure.counts else TransactionStatus.REJECTED
        assert reversal.status == status and reversal.base_amount == -figure.base
        figures.append(Figure(reversal, -figure.base, status, reversal=True))

    for step in case["operations"]:
        if step[0] == "record":
            _op, kind, (currency, amount), month = step
            add(record(partners, kind, amount, currency, month), currency, amount, kind)
        elif step[0] == "reverse":
            figure = pick(step[1], correctable)
            if figure is None:
                continue
            reversal = services.reverse_transaction(
                actor=partners.ngo_admin, transaction=figure.tx, reason="Wrong amount"
            )
            reversed_(figure, reversal)
        elif step[0] == "correct":
            figure = pick(step[1], correctable)
            currency, amount = step[2]
            if figure is None or (amount, currency) == (figure.tx.amount, figure.tx.currency):
                continue
            reversal, replacement = services.correct_transaction(
                actor=partners.ngo_admin,
                transaction=figure.tx,
                reason="Wrong amount",
                amount=amount,
                currency=currency,
            )
            reversed_(figure, reversal)
            add(replacement, currency, amount, figure.tx.transaction_type)
            event("corrected")
        else:
            figure = pick(step[1], lambda f: f.status == TransactionStatus.PENDING)
            if figure is None:
                continue
            person = next(p for p in partners.coordinators if p.pk not in figure.deciders)
            decision = step[0]
            services.decide(
                actor=person, transaction=figure.tx, decision=decision, reason="Checked"
            )
            figure.deciders.add(person.pk)
            event(f"{decision} decided")
            if decision == "reject":
                figure.status = TransactionStatus.REJECTED
            elif len(figure.deciders) >= case["required"]:
                figure.status = TransactionStatus.APPROVED
    return partners, figures


def totals_by_type(partnership: Partnership) -> dict[str, tuple[Decimal, int]]:
    result: dict[str, tuple[Decimal, int]] = {}
    for row in Rollup.objects.filter(partnership=partnership):
        amount, count = result.get(row.transaction_type, (Decimal(0), 0))
        result[row.transaction_type] = (amount + row.amount, count + row.count)
    return {k: v for k, v in result.items() if any(v)}


EVERY_PATH = {
    "base": "IDR",
    "rates": {c: Decimal("15800.1234567891") for c in ["USD", "KWD", "EUR"]},
    "threshold": Decimal(1000),
    "required": 2,
    "operations": [
        ("record", "4", ("USD", Decimal("10.01")), 3),  # pending
        ("approve", 0),
        ("approve", 0),  # second coordinator: approved
        ("record", "4", ("KWD", Decimal("0.125")), 3),  # pending
        ("reject", 0),
        ("reverse", 0),  # the rejected one: a rejected reversal
        ("record", "1", ("EUR", Decimal("99.99")), 4),
        ("correct", 0, ("IDR", Decimal("5"))),  # replacement below the threshold
        ("record", "4", ("IDR", Decimal("7")), 5),  # below the threshold
        ("correct", 1, ("USD", Decimal("1.00"))),  # replacement awaiting approval
        ("approve", 0),
    ],
}


@pytest.mark.django_db
@DB_SETTINGS
@given(case=books)
@example(case=EVERY_PATH)
def test_totals_are_exact_sums_and_reconcile_after_any_sequence(case):
    with rolled_back():
        partners, figures = play(case)
        partnership = partners.partnership

        expected: dict[str, tuple[Decimal, int]] = {}
        for figure in figures:
            if figure.counts:
                kind = figure.tx.transaction_type
                amount, count = expected.get(kind, (Decimal(0), 0))
                expected[kind] = (amount + figure.base, count + (-1 if figure.reversal else 1))
        expected = {k: v for k, v in expected.items() if any(v)}

        # The totals are the model's exact sums …
        assert totals_by_type(partnership) == expected
        # … and the exact sums of the rows' own base amounts, with their statuses.
        for figure in figures:
            figure.tx.refresh_from_db()
            assert figure.tx.status == figure.status
        rows = Transaction.objects.filter(partnership=partnership, status__in=COUNTING_STATUSES)
        stored = Rollup.objects.filter(partnership=partnership).aggregate(s=Sum("amount"))["s"]
        assert (stored or 0) == sum((t.base_amount for t in rows), Decimal(0))
        assert reconcile(partnership) == []


correction = st.tuples(
    st.sampled_from(["1", "3", "4"]),
    st.sampled_from(["IDR", "USD", "KWD"]).flatmap(lambda c: st.tuples(st.just(c), amounts(c))),
    st.integers(1, 11),  # value dates to 2026-11-12: none after today
    # What happens to it: kept, reversed, or corrected (possibly several times).
    st.lists(
        st.none()
        | st.sampled_from(["IDR", "USD"]).flatmap(lambda c: st.tuples(st.just(c), amounts(c))),
        max_size=3,
    ),
)


@pytest.mark.django_db
@DB_SETTINGS
@given(
    base=st.sampled_from(["IDR", "USD"]),
    rates=st.fixed_dictionaries({c: in_minor_units(10, 1, 10**15) for c in ["IDR", "USD", "KWD"]}),
    originals=st.lists(correction, min_size=1, max_size=6),
)
def test_reversal_and_replacement_leave_the_totals_of_the_corrected_values(base, rates, originals):
    """Books corrected through reversals and replacements total exactly what books
    holding only the final values total, type by type and month by month."""
    rates = {c: r for c, r in rates.items() if c != base}
    with rolled_back():
        corrected = set_up(base, rates, None, 1)
        final = set_up(base, rates, None, 1)
        for kind, (currency, amount), month, changes in originals:
            tx = record(corrected, kind, amount, currency, month)
            value: tuple[str, Decimal] | None = (currency, amount)
            for change in changes:
                if value is None:
                    break
                if change is None:
                    services.reverse_transaction(
                        actor=corrected.ngo_admin, transaction=tx, reason="Not ours"
                    )
                    value = None
                elif change != value:
                    try:
                        _reversal, tx = services.correct_transaction(
                            actor=corrected.ngo_admin,
                            transaction=tx,
                            reason="Wrong figure",
                            currency=change[0],
                            amount=change[1],
                        )
                    except Conflict:  # pragma: no cover - never pending without a rule
                        raise
                    value = change
            if value is not None:
                record(final, kind, value[1], value[0], month)

        def by_month(partnership: Partnership) -> dict[tuple, tuple[Decimal, int]]:
            rows: dict[tuple, tuple[Decimal, int]] = {}
            for row in Rollup.objects.filter(partnership=partnership):
                key = (row.month, row.transaction_type, row.kind)
                amount, count = rows.get(key, (Decimal(0), 0))
                rows[key] = (amount + row.amount, count + row.count)
            return {k: v for k, v in rows.items() if any(v)}

        assert by_month(corrected.partnership) == by_month(final.partnership)
        assert reconcile(corrected.partnership) == []
        assert reconcile(final.partnership) == []
