"""A year of finance for the two demo partnerships (called last by `sinergi demo`).

Calendar year 2026, dated in the past (the last movement is in late November 2026) so
the demo looks the same whenever it is loaded. Everything goes through
`sinergi.finance.services`, acting as the people who would really do it, so every row is
on the transparency ledger and every total is kept:

- the coordinator sets monthly USD and EUR rates (imported from CSV for immunisation,
  typed in for textiles), a budget per work package and half-year (one line revised
  with its reason) and the approval rule;
- each partner admin records their own organisation's pledges (cash in USD, EUR or IDR;
  in kind valued as quantity x value per unit) and expenditures; the partner keeping the
  programme's books (the Ministry of Health; the Lestari Institute) records incoming
  commitments, funds and in-kind deliveries, and disburses to implementing partners;
- expenditures above the threshold are decided by the rule's approvers: most approved,
  one rejected with a reason, one still awaiting approval in each partnership; one
  transaction per partnership is corrected (reversal and replacement) with a reason;
  three carry a receipt as evidence.

The immunisation partnership is almost fully funded; the textiles partnership shows a
funding gap, a late pledge and one not yet committed. Each has a cancelled pledge.

Idempotent: a partnership that already has any finance rows is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from sinergi.finance import services
from sinergi.finance.models import BudgetLine, ExchangeRate, Pledge, Transaction
from sinergi.partners.models import Person
from sinergi.partnerships.models import Partnership

YEAR = 2026
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip

# One unit of the currency in rupiah, from the first of each month, December 2025 to
# November 2026.
USD_RATES = ("15720", "15840", "15905", "16030", "16185", "16240",
             "16310", "16395", "16270", "16115", "16020", "16145")  # fmt: skip
EUR_RATES = ("16960", "17080", "17150", "17320", "17510", "17640",
             "17790", "17960", "17880", "17700", "17540", "17610")  # fmt: skip
USD_SOURCE = "Bank Indonesia JISDOR, monthly reference"
EUR_SOURCE = "Bank Indonesia middle rate, monthly reference"

# IATI transaction types used here.
FUNDS, DISBURSE, SPEND, COMMIT = "1", "3", "4", "11"

GAVI_CCE = "XM-DAC-47122-IDN-CCEOP-2026"
GAVI_EAF = "XM-DAC-47122-IDN-EAF-2026"
UNICEF_SD = "XM-DAC-41122-IDN-SD-VC-2026"
DONOR = "Stichting Eerlijke Kleding"  # a fictional Dutch foundation
DONOR_ACTIVITY = "NL-KVK-41200437-IDN-2026-07"


def d(month: int, day: int, year: int = YEAR) -> date:
    return date(year, month, day)


def rate_months() -> list[date]:
    return [date(2025, 12, 1)] + [d(month, 1) for month in range(1, 12)]


def receipt(name: str, lines: list[str]) -> SimpleUploadedFile:
    """A small text receipt as a partner would scan or export it."""
    body = "\n".join(lines) + "\n"
    return SimpleUploadedFile(name, body.encode("utf-8"), content_type="text/plain")


class Seeder:
    """Records one partnership's year in the order it happened (by date), so pledge
    deliveries and their dates come out as they would have."""

    def __init__(self, partnership: Partnership) -> None:
        self.partnership = partnership
        self.orgs = {
            p.organisation.slug: p.organisation
            for p in partnership.participations.select_related("organisation")
        }
        self.people: dict[str, Person] = {}
        self.packages = {wp.code: wp for wp in partnership.work_packages.all()}
        self.lines: dict[tuple[str, int], BudgetLine] = {}
        self.pledges: dict[str, Pledge] = {}
        self.txs: dict[str, Transaction] = {}
        self.events: list[tuple[date, int, Callable[[], None]]] = []

    def who(self, username: str) -> Person:
        if username not in self.people:
            self.people[username] = Person.objects.get(username=username)
        return self.people[username]

    def line(self, code: str | None, day: date) -> BudgetLine | None:
        """The budget line of work package `code` for the half-year of `day`."""
        return self.lines.get((code, 1 if day.month <= 6 else 2)) if code else None

    def party(self, value: str, role: str) -> dict[str, Any]:
        """A partner (by slug) or an outside party (by name)."""
        if value in self.orgs:
            return {f"{role}_organisation": self.orgs[value]}
        return {f"{role}_name": value}

    def at(self, day: date, action: Callable[[], None]) -> None:
        self.events.append((day, len(self.events), action))

    def run(self) -> None:
        for _day, _n, action in sorted(self.events, key=lambda event: event[:2]):
            action()

    # ---------------------------------------------------------------- set up at once

    def rates_by_hand(self, actor: str) -> None:
        for day, usd, eur in zip(rate_months(), USD_RATES, EUR_RATES, strict=True):
            for currency, rate, source in (("USD", usd, USD_SOURCE), ("EUR", eur, EUR_SOURCE)):
                services.set_rate(
                    actor=self.who(actor),
                    partnership=self.partnership,
                    currency=currency,
                    date=day,
                    rate=rate,
                    source=source,
                )

    def rates_from_csv(self, actor: str) -> None:
        rows = ["currency,date,rate,source"]
        for day, usd, eur in zip(rate_months(), USD_RATES, EUR_RATES, strict=True):
            rows += [f"USD,{day},{usd},{USD_SOURCE}", f"EUR,{day},{eur},{EUR_SOURCE}"]
        services.import_rates_csv(
            actor=self.who(actor), partnership=self.partnership, data="\n".join(rows) + "\n"
        )

    def budget(self, actor: str, rows: list[tuple[str, str, int, int]]) -> None:
        """Rows of (work package code, title, first half-year, second half-year)."""
        for code, title, first, second in rows:
            for half, amount in ((1, first), (2, second)):
                self.lines[(code, half)] = services.create_budget_line(
                    actor=self.who(actor),
                    partnership=self.partnership,
                    title=f"{title}, {'first' if half == 1 else 'second'} half {YEAR}",
                    amount=Decimal(amount),
                    period_start=d(1, 1) if half == 1 else d(7, 1),
                    period_end=d(6, 30) if half == 1 else d(12, 31),
                    work_package=self.packages.get(code),
                )

    def revise(self, actor: str, code: str, half: int, amount: int, reason: str) -> None:
        self.lines[(code, half)] = services.revise_budget_line(
            actor=self.who(actor), line=self.lines[(code, half)], amount=amount, reason=reason
        )

    # ---------------------------------------------------------------- the year's events

    def pledge(
        self,
        key: str,
        actor: str,
        partner: str,
        pledged_on: date,
        kind: str,
        currency: str,
        value: str | int | tuple[int, str, int],
        start: date,
        end: date,
        description: str,
    ) -> None:
        """A cash pledge of `value`, or in kind valued as (quantity, unit, value per unit)."""
        if isinstance(value, tuple):
            quantity, unit, unit_rate = value
            worth = {"quantity": quantity, "unit": unit, "unit_rate": unit_rate}
        else:
            worth = {"amount": Decimal(str(value))}

        def action() -> None:
            self.pledges[key] = services.record_pledge(
                actor=self.who(actor),
                partnership=self.partnership,
                organisation=self.orgs[partner],
                pledged_on=pledged_on,
                kind=kind,
                currency=currency,
                period_start=start,
                period_end=end,
                description=description,
                **worth,
            )

        self.at(pledged_on, action)

    def status(self, key: str, actor: str, day: date, status: str, reason: str) -> None:
        def action() -> None:
            self.pledges[key] = services.change_pledge_status(
                actor=self.who(actor), pledge=self.pledges[key], status=status, reason=reason
            )

        self.at(day, action)

    def tx(
        self,
        actor: str,
        transaction_type: str,
        day: date,
        amount: str | int,
        provider: str,
        receiver: str,
        wp: str | None,
        description: str,
        *,
        key: str = "",
        currency: str = "IDR",
        pledge: str | None = None,
        provider_activity_id: str = "",
        receiver_activity_id: str = "",
        approvals: tuple[tuple[str, str], ...] = (),
        rejection: tuple[str, str] | None = None,
    ) -> None:
        """Record a transaction on `day` (tagged to work package `wp`'s budget line for
        that half-year), then the approvers' decisions on it."""

        def action() -> None:
            tx = services.record_transaction(
                actor=self.who(actor),
                partnership=self.partnership,
                transaction_type=transaction_type,
                value_date=day,
                amount=Decimal(str(amount)),
                currency=currency,
                budget_line=self.line(wp, day),
                pledge=self.pledges[pledge] if pledge else None,
                description=description,
                provider_activity_id=provider_activity_id,
                receiver_activity_id=receiver_activity_id,
                **self.party(provider, "provider"),
                **self.party(receiver, "receiver"),
            )
            for approver, reason in approvals:
                services.decide(
                    actor=self.who(approver), transaction=tx, decision="approve", reason=reason
                )
            if rejection:
                services.decide(
                    actor=self.who(rejection[0]),
                    transaction=tx,
                    decision="reject",
                    reason=rejection[1],
                )
            if key:
                self.txs[key] = tx

        self.at(day, action)

    def correct(self, key: str, actor: str, day: date, reason: str, **changes: Any) -> None:
        """Correct transaction `key` (reversal and replacement, stored as `key:corrected`)."""

        def action() -> None:
            _reversal, replacement = services.correct_transaction(
                actor=self.who(actor), transaction=self.txs[key], reason=reason, **changes
            )
            self.txs[f"{key}:corrected"] = replacement

        self.at(day, action)

    def attach(self, key: str, actor: str, day: date, name: str, lines: list[str]) -> None:
        def action() -> None:
            services.attach_document(
                actor=self.who(actor), transaction=self.txs[key], uploaded_file=receipt(name, lines)
            )

        self.at(day, action)


def has_finance(partnership: Partnership) -> bool:
    return (
        ExchangeRate.objects.filter(partnership=partnership).exists()
        or BudgetLine.objects.filter(partnership=partnership).exists()
        or Pledge.objects.filter(partnership=partnership).exists()
        or Transaction.objects.filter(partnership=partnership).exists()
    )


def seeder_for(slug: str, people: tuple[str, ...]) -> Seeder | None:
    """A seeder for a demo partnership that has no finance yet and all its people."""
    partnership = Partnership.objects.filter(slug=slug).first()
    if partnership is None or has_finance(partnership):
        return None
    if Person.objects.filter(username__in=people).count() != len(set(people)):
        return None
    return Seeder(partnership)


# ---------------------------------------------------------------- immunisation

IMMUNISATION_PEOPLE = ("sari", "maria", "budi", "yuni", "nur", "tono")

IMMUNISATION_BUDGET = [
    ("WP1", "Vaccine supply and cold chain", 6_500_000_000, 5_500_000_000),
    ("WP2", "Co-financing and procurement", 4_000_000_000, 4_000_000_000),
    ("WP3", "Outreach to zero-dose children", 2_400_000_000, 2_600_000_000),
    ("WP4", "Community mobilisation through posyandu", 1_200_000_000, 1_200_000_000),
    ("WP5", "Coverage surveys and evaluation", 900_000_000, 1_500_000_000),
]

# fmt: off
IMMUNISATION_PLEDGES = [
    # key, by, partner, pledged on, kind, currency, amount or (quantity, unit, value per
    # unit), from, due by, description
    ("gavi-cce", "maria", "gavi", date(2025, 12, 15), "cash", "USD", "1150000.00",
     d(1, 1), d(7, 31), "Cold-chain equipment and vaccine co-financing for 2026"),
    ("kemenkes", "sari", "kemenkes", date(2025, 12, 20), "cash", "IDR", 7_500_000_000,
     d(1, 1), d(12, 31), "State budget (APBN) co-financing for 2026"),
    ("bio-farma", "budi", "bio-farma", date(2025, 12, 22), "goods", "IDR",
     (48, "truck trips", 18_500_000), d(1, 1), d(9, 30),
     "Refrigerated transport of vaccines to 14 district stores"),
    ("pkpn", "nur", "perkumpulan-kader-posyandu", date(2025, 12, 29), "personnel", "IDR",
     (2400, "person-days", 150_000), d(1, 1), d(12, 31),
     "Posyandu volunteers' time on immunisation days"),
    ("ugm-time", "tono", "ugm", d(1, 15), "personnel", "IDR", (120, "person-days", 1_500_000),
     d(1, 1), d(12, 31), "Survey team time for the 2026 coverage survey"),
    ("ugm-dashboard", "tono", "ugm", d(1, 15), "expertise", "IDR",
     (60, "person-days", 2_500_000), d(2, 1), d(6, 30),
     "A dashboard of cold-chain temperature data"),
    ("gavi-eaf", "maria", "gavi", d(5, 20), "cash", "USD", "180000.00", d(6, 1), d(12, 31),
     "Equity Accelerator Funding: outreach to zero-dose children"),
    ("ysia", "yuni", "yayasan-sehat-ibu-anak", d(6, 1), "cash", "IDR", 400_000_000,
     d(7, 1), d(12, 31), "Co-funding from our foundation grant, once the grant is renewed"),
]

# Monthly vaccine distribution from provincial to district stores, January to November.
DISTRIBUTION = (96_400_000, 104_200_000, 118_750_000, 99_300_000, 121_600_000, 134_150_000,
                112_800_000, 127_450_000, 141_200_000, 119_900_000, 108_650_000)
# Posyandu volunteers paid a transport allowance of Rp 75,000, February to November.
VOLUNTEERS = (380, 395, 410, 420, 405, 430, 445, 450, 440, 435)

# Disbursements by the Ministry of Health to the implementing partners.
IMMUNISATION_DISBURSEMENTS = [
    (d(1, 26), 250_000_000, "perkumpulan-kader-posyandu", "WP4", "Volunteer programme, Q1"),
    (d(2, 16), 600_000_000, "yayasan-sehat-ibu-anak", "WP3", "Outreach, Q1"),
    (d(4, 20), 250_000_000, "perkumpulan-kader-posyandu", "WP4", "Volunteer programme, Q2"),
    (d(5, 11), 600_000_000, "yayasan-sehat-ibu-anak", "WP3", "Outreach, Q2"),
    (d(6, 22), 350_000_000, "ugm", "WP5", "Coverage survey: preparation and fieldwork"),
    (d(7, 20), 300_000_000, "perkumpulan-kader-posyandu", "WP4", "Volunteer programme, Q3"),
    (d(8, 10), 650_000_000, "yayasan-sehat-ibu-anak", "WP3", "Outreach, Q3"),
    (d(9, 21), 300_000_000, "ugm", "WP5", "Coverage survey: analysis and report"),
    (d(10, 19), 300_000_000, "perkumpulan-kader-posyandu", "WP4", "Volunteer programme, Q4"),
    (d(11, 9), 650_000_000, "yayasan-sehat-ibu-anak", "WP3", "Outreach, Q4"),
]

# Expenditures below the approval threshold: (by, date, amount, partner, paid to,
# work package, what for).
IMMUNISATION_SPENDING = [
    ("sari", d(3, 9), 178_000_000, "kemenkes", "Hotel Sasando Kupang", "WP3",
     "Refresher training for 120 vaccinators, Nusa Tenggara Timur"),
    ("sari", d(5, 25), 186_000_000, "kemenkes", "PT Dingin Sejahtera", "WP1",
     "Installation and two-year maintenance of 60 refrigerators"),
    ("sari", d(6, 15), 238_500_000, "kemenkes", "PT Dingin Sejahtera", "WP1",
     "450 cold boxes and vaccine carriers"),
    ("yuni", d(2, 24), 48_750_000, "yayasan-sehat-ibu-anak", "Koperasi Nelayan Alor", "WP3",
     "Boat hire: outreach to Alor and Pantar"),
    ("yuni", d(3, 17), 62_400_000, "yayasan-sehat-ibu-anak",
     "Dinas Kesehatan Kabupaten Sumba Timur", "WP3",
     "Vaccinators' per diems: 38 village sessions, Sumba Timur"),
    ("yuni", d(4, 14), 18_900_000, "yayasan-sehat-ibu-anak", "Koperasi Ojek Ruteng", "WP3",
     "Cold boxes carried by motorbike to 22 hamlets, Manggarai"),
    ("yuni", d(6, 16), 31_200_000, "yayasan-sehat-ibu-anak", "CV Sagu Rasa Masohi", "WP3",
     "Meals and venues for 12 village meetings, Maluku Tengah"),
    ("yuni", d(7, 21), 96_000_000, "yayasan-sehat-ibu-anak", "KM Nusa Bahari", "WP3",
     "Boat hire: outreach to Kepulauan Tanimbar"),
    ("yuni", d(8, 18), 85_800_000, "yayasan-sehat-ibu-anak",
     "Dinas Kesehatan Kabupaten Sumba Barat Daya", "WP3",
     "Vaccinators' per diems: 52 village sessions, Sumba Barat Daya"),
    ("yuni", d(9, 22), 121_500_000, "yayasan-sehat-ibu-anak", "PT Trigana Air Service", "WP3",
     "Outreach team flights, Asmat"),
    ("yuni", d(10, 20), 57_600_000, "yayasan-sehat-ibu-anak",
     "Ikatan Bidan Indonesia Cabang Lembata", "WP3",
     "Tracing zero-dose children with village midwives, Lembata"),
    ("nur", d(3, 30), 64_800_000, "perkumpulan-kader-posyandu", "Hotel Sasando Kupang", "WP4",
     "Training 120 volunteers to keep due-vaccination registers, Kupang"),
    ("nur", d(9, 28), 88_500_000, "perkumpulan-kader-posyandu", "Hotel Kotaraja Jayapura",
     "WP4", "Training 150 volunteers to keep due-vaccination registers, Jayapura"),
    ("tono", d(7, 6), 171_000_000, "ugm", "PT Gawai Data Nusantara", "WP5",
     "60 tablets for survey data collection"),
    ("tono", d(8, 31), 148_300_000, "ugm", "PT Trigana Air Service", "WP5",
     "Survey teams' travel to 40 districts"),
    ("tono", d(10, 26), 24_600_000, "ugm", "Wisma Kagama Yogyakarta", "WP5",
     "Data cleaning and weighting workshop"),
    ("tono", d(11, 23), 67_200_000, "ugm", "PT Trigana Air Service", "WP5",
     "Cold-chain performance review: visits to 30 health posts"),
]
# fmt: on


def seed_immunisation() -> None:
    s = seeder_for("immunisation-indonesia", IMMUNISATION_PEOPLE)
    if s is None:
        return
    s.rates_from_csv("sari")
    s.budget("sari", IMMUNISATION_BUDGET)
    s.revise(
        "sari",
        "WP1",
        2,
        6_100_000_000,
        "Solar refrigerators now cost Rp 44,000,000 instead of Rp 42,000,000 since the rupiah "
        "weakened, and 12 more health posts in Papua need one.",
    )
    # Two of the three partners that bring money or goods approve large expenditures.
    services.set_approval_rule(
        actor=s.who("sari"),
        partnership=s.partnership,
        threshold=250_000_000,
        required=2,
        approver_organisations=[s.orgs["gavi"], s.orgs["kemenkes"], s.orgs["bio-farma"]],
    )

    for row in IMMUNISATION_PLEDGES:
        s.pledge(*row)
    s.status(
        "kemenkes", "sari", d(1, 5), "committed", "DIPA 2026 issued by the Ministry of Finance"
    )
    s.status(
        "ugm-dashboard",
        "tono",
        d(4, 2),
        "cancelled",
        "Gavi's cold-chain equipment comes with its own temperature dashboard; ours would "
        "pay twice for the same thing.",
    )

    # fmt: off
    # The Ministry keeps the programme's books: commitments, funds and in-kind deliveries.
    s.tx("sari", COMMIT, d(1, 8), "1150000.00", "gavi", "kemenkes", None,
         "Grant agreement signed: cold-chain equipment and vaccine co-financing 2026",
         currency="USD", pledge="gavi-cce", provider_activity_id=GAVI_CCE)
    s.tx("sari", COMMIT, d(1, 12), 888_000_000, "bio-farma", "kemenkes", "WP1",
         "Letter of commitment: 48 refrigerated truck trips", pledge="bio-farma")
    s.tx("sari", COMMIT, d(1, 20), 360_000_000, "perkumpulan-kader-posyandu", "kemenkes", "WP4",
         "Volunteer time confirmed by the association's board", pledge="pkpn")
    s.tx("sari", COMMIT, d(1, 22), 180_000_000, "ugm", "kemenkes", "WP5",
         "Survey team time confirmed by the Faculty of Medicine", pledge="ugm-time")
    s.tx("sari", COMMIT, d(6, 5), "180000.00", "gavi", "kemenkes", "WP3",
         "Grant agreement signed: Equity Accelerator Funding",
         currency="USD", pledge="gavi-eaf", provider_activity_id=GAVI_EAF)
    s.tx("sari", FUNDS, d(2, 10), "600000.00", "gavi", "kemenkes", None,
         "Cold-chain and co-financing grant, first tranche",
         currency="USD", pledge="gavi-cce", provider_activity_id=GAVI_CCE)
    s.tx("sari", FUNDS, d(7, 14), "550000.00", "gavi", "kemenkes", None,
         "Cold-chain and co-financing grant, second tranche",
         currency="USD", pledge="gavi-cce", provider_activity_id=GAVI_CCE)
    s.tx("sari", FUNDS, d(9, 8), "90000.00", "gavi", "kemenkes", "WP3",
         "Equity Accelerator Funding, first half",
         currency="USD", pledge="gavi-eaf", provider_activity_id=GAVI_EAF)
    # 48 truck trips due by September; the last ones came in October.
    for month, trips in enumerate([5, 5, 5, 5, 5, 5, 5, 5, 4, 4], start=1):
        s.tx("sari", FUNDS, d(month, 27), trips * 18_500_000, "bio-farma", "kemenkes", "WP1",
             f"Refrigerated transport, {MONTHS[month - 1]}: {trips} truck trips",
             pledge="bio-farma")
    for month, days in ((7, 30), (8, 40), (9, 30), (10, 20)):
        s.tx("sari", FUNDS, d(month, 30), days * 1_500_000, "ugm", "kemenkes", "WP5",
             f"Survey team time, {MONTHS[month - 1]}: {days} person-days", pledge="ugm-time")
    for month in range(1, 12):
        s.tx("sari", FUNDS, d(month, 27), 200 * 150_000, "perkumpulan-kader-posyandu",
             "kemenkes", "WP4", f"Volunteers' time, {MONTHS[month - 1]}: 200 person-days",
             pledge="pkpn")
    for day, amount, partner, wp, text in IMMUNISATION_DISBURSEMENTS:
        s.tx("sari", DISBURSE, day, amount, "kemenkes", partner, wp, text, pledge="kemenkes")

    # Expenditures. Above Rp 250,000,000 two of Gavi, the Ministry and Bio Farma approve;
    # the Ministry's coordinator never approves what she recorded herself.
    for month, amount in enumerate(DISTRIBUTION, start=1):
        s.tx("sari", SPEND, d(month, 12), amount, "kemenkes", "CV Logistik Timur Raya", "WP1",
             f"Vaccine distribution by sea and air to district stores, {MONTHS[month - 1]}")
    for by, day, amount, partner, receiver, wp, text in IMMUNISATION_SPENDING:
        s.tx(by, SPEND, day, amount, partner, receiver, wp, text)
    for offset, volunteers in enumerate(VOLUNTEERS):
        month = offset + 2
        s.tx("nur", SPEND, d(month, 26), volunteers * 75_000, "perkumpulan-kader-posyandu",
             "Posyandu volunteers, Nusa Tenggara Timur and Papua", "WP4",
             f"Transport allowances, {MONTHS[month - 1]}: {volunteers} volunteers x Rp 75,000")
    plan = (("maria", "In the cold-chain equipment plan agreed with Gavi."),
            ("budi", "Checked against the delivery notes."))
    share = (("maria", "Co-financing share as agreed for 2026."),
             ("budi", "Quantities match the national forecast."))
    s.tx("sari", SPEND, d(2, 23), 460_000_000, "kemenkes", "PT Medika Termo Indonesia", "WP1",
         "400 temperature loggers for vaccine refrigerators (400 x Rp 1,150,000)",
         approvals=plan)
    s.tx("sari", SPEND, d(3, 18), 3_250_000_000, "kemenkes", "UNICEF Supply Division", "WP2",
         "Co-financing share for measles-rubella and pneumococcal vaccines, first half",
         pledge="kemenkes", receiver_activity_id=UNICEF_SD, approvals=share)
    s.tx("sari", SPEND, d(4, 6), 2_520_000_000, "kemenkes", "PT Dingin Sejahtera", "WP1",
         "60 solar direct-drive vaccine refrigerators (60 x Rp 42,000,000)",
         key="fridges", approvals=plan)
    s.attach("fridges", "sari", d(4, 6), "invoice-DS-2026-0412.txt", [
        "PT Dingin Sejahtera", "Jl. Industri Raya 12, Bekasi", "",
        "INVOICE DS/2026/0412 - 6 April 2026",
        "To: Ministry of Health of the Republic of Indonesia",
        "60 x solar direct-drive vaccine refrigerator, 55 litres @ Rp 42.000.000",
        "TOTAL: Rp 2.520.000.000",
    ])
    s.tx("sari", SPEND, d(8, 24), 2_640_000_000, "kemenkes", "PT Dingin Sejahtera", "WP1",
         "60 solar direct-drive vaccine refrigerators (60 x Rp 44,000,000)", approvals=plan)
    s.tx("sari", SPEND, d(9, 15), 3_400_000_000, "kemenkes", "UNICEF Supply Division", "WP2",
         "Co-financing share for measles-rubella and pneumococcal vaccines, second half",
         receiver_activity_id=UNICEF_SD, approvals=share[::-1])
    s.tx("tono", SPEND, d(7, 27), 262_500_000, "ugm", "Enumerators of the 2026 coverage survey",
         "WP5", "Survey fieldwork: 60 enumerators x 25 days",
         approvals=(("sari", "As in the survey protocol the partners agreed."), ("maria", "")))
    s.tx("nur", SPEND, d(6, 29), 310_000_000, "perkumpulan-kader-posyandu",
         "CV Konveksi Maju Bersama", "WP4", "Uniforms and bags for 2,000 posyandu volunteers",
         rejection=("sari", "Uniforms are not in the WP4 budget; the district governments "
                            "agreed to provide them."))
    s.tx("yuni", SPEND, d(5, 19), 48_500_000, "yayasan-sehat-ibu-anak",
         "PT Trigana Air Service", "WP3", "Outreach team flights, Jayawijaya", key="flights")
    s.correct("flights", "yuni", d(5, 27),
              "Digits swapped when typing: the receipt says Rp 45,800,000.",
              amount=Decimal(45_800_000))
    s.attach("flights:corrected", "yuni", d(5, 27), "receipt-trigana-wamena.txt", [
        "PT Trigana Air Service - Wamena office", "RECEIPT 0519/WMX/2026 - 19 May 2026",
        "Received from: Yayasan Sehat Ibu dan Anak",
        "8 return tickets Jayapura-Wamena, outreach team", "TOTAL PAID: Rp 45.800.000",
    ])
    # Awaiting approval: Gavi has approved; a second approving partner is needed.
    s.tx("yuni", SPEND, d(11, 18), 285_000_000, "yayasan-sehat-ibu-anak", "KM Nusa Bahari", "WP3",
         "Boat charter: outreach to 14 islands of Maluku Barat Daya, 12 days",
         approvals=(("maria", "In the WP3 outreach calendar, at July's price per day."),))
    # fmt: on
    s.run()


# ---------------------------------------------------------------- textiles

TEXTILES_PEOPLE = ("rina", "hendra", "ani", "rudi", "lina", "eko")

TEXTILES_BUDGET = [
    ("WP1", "Living wage benchmarks", 850_000_000, 650_000_000),
    ("WP2", "Mill audits and remediation", 1_200_000_000, 1_400_000_000),
    ("WP3", "National standard for chemical management", 600_000_000, 850_000_000),
    ("WP4", "Worker grievance channels", 450_000_000, 550_000_000),
    ("WP5", "Chemical substitution pilots", 900_000_000, 1_300_000_000),
]

# fmt: off
TEXTILES_PLEDGES = [
    ("liff", "lina", "lestari-institute", date(2025, 12, 10), "cash", "EUR", "95000.00",
     d(1, 1), d(12, 31),
     "Co-funding from our European foundation grant for wage studies and grievance channels"),
    ("sandang-1", "hendra", "sandang-lestari", date(2025, 12, 12), "cash", "IDR",
     1_200_000_000, d(1, 1), d(6, 30), "Co-funding of mill audits, first half of 2026"),
    ("kemenperin", "rina", "kemenperin", date(2025, 12, 18), "cash", "IDR", 1_500_000_000,
     d(1, 1), d(12, 31), "State budget (APBN) support for the chemical management standard"),
    ("network", "rina", "kemenperin", date(2025, 12, 18), "network", "IDR",
     (6, "industry forums", 40_000_000), d(1, 1), d(12, 31),
     "Bringing mills and brands together through the ministry's industry network"),
    ("union", "rudi", "serikat-buruh-garmen", d(1, 12), "personnel", "IDR",
     (300, "person-days", 600_000), d(1, 1), d(12, 31),
     "Union organisers' time for the grievance channels"),
    ("bsn", "eko", "bsn", d(1, 14), "expertise", "IDR", (80, "person-days", 2_500_000),
     d(2, 1), d(11, 30), "Standards experts for the technical committee"),
    ("dyes", "ani", "tekstil-nusantara", d(1, 20), "goods", "IDR", (1800, "kg", 185_000),
     d(2, 1), d(10, 31), "Substitute dyes and auxiliaries for the pilot dye house, at cost"),
    ("lab", "ani", "tekstil-nusantara", d(1, 20), "goods", "IDR",
     (24, "wastewater tests", 3_500_000), d(2, 1), d(6, 30),
     "Wastewater tests in our mill laboratory"),
    ("sandang-2", "hendra", "sandang-lestari", d(6, 10), "cash", "IDR", 1_200_000_000,
     d(7, 1), d(9, 30), "Co-funding of mill audits, second half of 2026"),
    ("kemenperin-2027", "rina", "kemenperin", d(10, 26), "cash", "IDR", 1_600_000_000,
     d(1, 1, 2027), d(12, 31, 2027),
     "Proposed in the ministry's 2027 budget; firm once the 2027 DIPA is issued"),
]

# Incoming commitments recorded by the Lestari Institute, which keeps the books.
TEXTILES_COMMITMENTS = [
    ("sandang-1", "sandang-lestari", d(1, 9), 1_200_000_000, None,
     "Co-funding agreement signed"),
    ("network", "kemenperin", d(1, 13), 240_000_000, "WP2", "Six industry forums in the plan"),
    ("union", "serikat-buruh-garmen", d(1, 19), 180_000_000, "WP4",
     "Organisers' time confirmed by the federation"),
    ("bsn", "bsn", d(1, 21), 200_000_000, "WP3", "Experts named to the technical committee"),
    ("dyes", "tekstil-nusantara", d(2, 2), 333_000_000, "WP5", "Purchase order for trial dyes"),
    ("sandang-2", "sandang-lestari", d(7, 6), 1_200_000_000, None,
     "Co-funding agreement for the second half signed"),
]

# Monthly field monitoring of the pilot mills, January to November.
MONITORING = (12_400_000, 14_850_000, 18_200_000, 16_750_000, 21_300_000, 13_900_000,
              19_650_000, 22_100_000, 17_450_000, 20_800_000, 15_600_000)

# Expenditures below the approval threshold: (by, date, amount, partner, paid to,
# work package, what for).
TEXTILES_SPENDING = [
    ("rina", d(2, 19), 58_000_000, "kemenperin", "CV Data Industri Mandiri", "WP3",
     "Baseline survey of chemical inventories in 40 mills"),
    ("rina", d(10, 13), 86_400_000, "kemenperin", "Hotel Priangan Bandung", "WP3",
     "Drafting workshop for the ministerial regulation on chemical management"),
    ("lina", d(5, 26), 96_000_000, "lestari-institute", "Laboratorium Lingkungan Bandung",
     "WP2", "Wastewater analysis in an accredited laboratory: 24 samples"),
    ("lina", d(9, 8), 96_000_000, "lestari-institute", "Laboratorium Lingkungan Bandung",
     "WP2", "Wastewater analysis in an accredited laboratory: 24 samples, second round"),
    ("rudi", d(7, 15), 27_600_000, "serikat-buruh-garmen", "CV Katering Sejahtera Bekasi",
     "WP4", "Grievance committee meetings in six factories"),
    ("rudi", d(10, 14), 12_400_000, "serikat-buruh-garmen", "CV Percetakan Sinar", "WP4",
     "Report on how complaints were resolved, January to September"),
    ("eko", d(3, 26), 34_500_000, "bsn", "Hotel Menteng Jakarta", "WP3",
     "Technical committee meeting 1, Jakarta"),
    ("eko", d(5, 28), 36_200_000, "bsn", "Hotel Menteng Jakarta", "WP3",
     "Technical committee meeting 2, Jakarta"),
    ("eko", d(7, 30), 33_800_000, "bsn", "Hotel Menteng Jakarta", "WP3",
     "Technical committee meeting 3, Jakarta"),
    ("eko", d(9, 24), 38_900_000, "bsn", "Hotel Menteng Jakarta", "WP3",
     "Technical committee meeting 4, Jakarta"),
    ("eko", d(10, 28), 42_000_000, "bsn", "CV Bahasa Teknik", "WP3",
     "Editing and English translation of the draft standard"),
    ("ani", d(5, 12), 64_500_000, "tekstil-nusantara", "PT Warna Aman Kimia", "WP5",
     "Trial batches with substitute reactive dyes, dye house 1"),
    ("ani", d(6, 23), 54_000_000, "tekstil-nusantara", "Laboratorium Lingkungan Bandung",
     "WP5", "Effluent tests after substitution, dye house 1"),
    ("ani", d(8, 18), 89_700_000, "tekstil-nusantara", "PT Warna Aman Kimia", "WP5",
     "Trial batches with substitute reactive dyes, dye house 2"),
    ("ani", d(9, 29), 46_800_000, "tekstil-nusantara", "Balai Besar Tekstil Bandung", "WP5",
     "Operator training on the safe handling of auxiliaries"),
    ("hendra", d(6, 22), 38_000_000, "sandang-lestari", "PT Konsultan K3 Indonesia", "WP5",
     "Chemical inventory and safety data sheet review, Cikarang factory"),
    ("hendra", d(8, 20), 52_000_000, "sandang-lestari", "Balai Besar Tekstil Bandung", "WP5",
     "Worker training on chemical handling, Cikarang factory"),
]

# The Lestari Institute spends its own co-funding (its pledge) on the wage studies.
WAGE_STUDIES = [
    (d(4, 27), 48_000_000, "CV Riset Upah Indonesia",
     "Focus group discussions with workers, 12 sessions"),
    (d(6, 18), 72_500_000, "Hotel Candi Semarang", "Benchmark validation workshop, Semarang"),
    (d(9, 29), 18_750_000, "CV Percetakan Sinar", "Benchmark report: layout and 500 copies"),
    (d(10, 22), 64_000_000, "Hotel Menteng Jakarta", "Employers' consultation on the benchmarks"),
]
# fmt: on


def seed_textiles() -> None:
    s = seeder_for("sustainable-textiles-indonesia", TEXTILES_PEOPLE)
    if s is None:
        return
    s.rates_by_hand("rina")
    s.budget("rina", TEXTILES_BUDGET)
    s.revise(
        "rina",
        "WP5",
        2,
        1_650_000_000,
        "Tekstil Nusantara's second dye house joins the substitution pilot in August: "
        "dyes, testing and operator training for it.",
    )
    # The coordinator approves expenditures above Rp 100,000,000.
    services.set_approval_rule(
        actor=s.who("rina"), partnership=s.partnership, threshold=100_000_000, required=1
    )

    for row in TEXTILES_PLEDGES:
        s.pledge(*row)
    s.status("liff", "lina", d(1, 7), "committed", "Grant agreement with our donor signed")
    s.status("kemenperin", "rina", d(1, 6), "committed", "DIPA 2026 issued")
    s.status(
        "lab",
        "ani",
        d(3, 4),
        "cancelled",
        "Our laboratory's accreditation lapsed; the tests go to an accredited laboratory "
        "under WP2 instead.",
    )

    # fmt: off
    for pledge, partner, day, amount, wp, text in TEXTILES_COMMITMENTS:
        s.tx("lina", COMMIT, day, amount, partner, "lestari-institute", wp, text, pledge=pledge)
    # The Institute's co-funding arrives from its European donor, an outside party.
    for day, amount, text in [(d(1, 28), "50000.00", "Grant, first tranche"),
                              (d(7, 2), "45000.00", "Grant, second tranche")]:
        s.tx("lina", FUNDS, day, amount, DONOR, "lestari-institute", None,
             f"{text}: wage studies and grievance channels",
             currency="EUR", provider_activity_id=DONOR_ACTIVITY)
    for day, amount, text in [(d(2, 13), 600_000_000, "first instalment"),
                              (d(5, 15), 600_000_000, "second instalment")]:
        s.tx("lina", FUNDS, day, amount, "sandang-lestari", "lestari-institute", "WP2",
             f"Audit co-funding, {text}", pledge="sandang-1")
    s.tx("lina", FUNDS, d(8, 14), 500_000_000, "sandang-lestari", "lestari-institute", "WP2",
         "Audit co-funding, part payment; the rest promised after the buyers' audit season",
         pledge="sandang-2")
    for day, text in [(d(2, 26), "Mills' forum, Bandung"),
                      (d(5, 21), "Brands and suppliers' dialogue, Jakarta"),
                      (d(8, 27), "Mills' forum, Semarang"),
                      (d(10, 29), "Chemical management forum, Serang")]:
        s.tx("lina", FUNDS, day, 40_000_000, "kemenperin", "lestari-institute", "WP2", text,
             pledge="network")
    for month in range(2, 12):
        s.tx("lina", FUNDS, d(month, 25), 30 * 600_000, "serikat-buruh-garmen",
             "lestari-institute", "WP4",
             f"Organisers' time, {MONTHS[month - 1]}: 30 person-days", pledge="union")
    for day, days in ((d(3, 26), 15), (d(5, 28), 15), (d(7, 30), 15), (d(9, 24), 15),
                      (d(11, 19), 10)):
        s.tx("lina", FUNDS, day, days * 2_500_000, "bsn", "lestari-institute", "WP3",
             f"Technical committee experts: {days} person-days", pledge="bsn")
    for day, kg in ((d(3, 12), 400), (d(5, 7), 400), (d(7, 9), 500), (d(9, 10), 500)):
        s.tx("lina", FUNDS, day, kg * 185_000, "tekstil-nusantara", "lestari-institute", "WP5",
             f"Substitute dyes delivered to the pilot dye house: {kg} kg", pledge="dyes")

    s.tx("rina", DISBURSE, d(3, 9), 400_000_000, "kemenperin", "bsn", "WP3",
         "Drafting the SNI for chemical management", pledge="kemenperin")
    s.tx("rina", DISBURSE, d(8, 3), 450_000_000, "kemenperin", "bsn", "WP3",
         "Public consultation and final draft of the SNI", pledge="kemenperin")
    s.tx("lina", DISBURSE, d(3, 16), "12000.00", "lestari-institute", "serikat-buruh-garmen",
         "WP4", "Grievance channels: set-up in six factories", currency="EUR", pledge="liff")
    s.tx("lina", DISBURSE, d(9, 14), "12000.00", "lestari-institute", "serikat-buruh-garmen",
         "WP4", "Grievance channels: running costs, second half", currency="EUR",
         pledge="liff")
    s.tx("lina", DISBURSE, d(4, 6), 250_000_000, "lestari-institute", "tekstil-nusantara",
         "WP5", "Chemical substitution trials, first dye house")
    s.tx("lina", DISBURSE, d(8, 10), 300_000_000, "lestari-institute", "tekstil-nusantara",
         "WP5", "Chemical substitution trials, second dye house")

    for by, day, amount, partner, receiver, wp, text in TEXTILES_SPENDING:
        s.tx(by, SPEND, day, amount, partner, receiver, wp, text)
    for day, amount, receiver, text in WAGE_STUDIES:
        s.tx("lina", SPEND, day, amount, "lestari-institute", receiver, "WP1", text,
             pledge="liff")
    for month, amount in enumerate(MONITORING, start=1):
        s.tx("lina", SPEND, d(month, 20), amount, "lestari-institute",
             "CV Rental Mobil Priangan", "WP2",
             f"Field monitoring visits to the pilot mills, {MONTHS[month - 1]}")
    for month in range(4, 12):
        s.tx("rudi", SPEND, d(month, 5), 6_500_000, "serikat-buruh-garmen",
             "PT Layanan Pesan Nusantara", "WP4",
             f"Grievance hotline: phone line and SMS gateway, {MONTHS[month - 1]}")

    ok = (("rina", "In the agreed work plan."),)
    s.tx("lina", SPEND, d(3, 23), 186_000_000, "lestari-institute", "CV Riset Upah Indonesia",
         "WP1", "Living wage survey fieldwork in West Java, Central Java and Banten",
         pledge="liff", approvals=ok)
    s.tx("lina", SPEND, d(4, 13), 240_000_000, "lestari-institute",
         "PT Audit Sosial Indonesia", "WP2", "Social and wastewater audits of six pilot mills",
         key="audits", approvals=ok)
    s.attach("audits", "lina", d(4, 13), "invoice-ASI-2026-031.txt", [
        "PT Audit Sosial Indonesia", "INVOICE ASI/031/IV/2026 - 13 April 2026",
        "To: Lestari Institute for Fair Fashion",
        "Social and wastewater audits, 6 mills x Rp 40.000.000", "TOTAL: Rp 240.000.000",
    ])
    s.tx("lina", SPEND, d(10, 12), 210_000_000, "lestari-institute",
         "PT Audit Sosial Indonesia", "WP2",
         "Follow-up audits of the corrective action plans, six mills", approvals=ok)
    s.tx("eko", SPEND, d(8, 25), 138_000_000, "bsn", "PT Event Nusantara Kreatif", "WP3",
         "Public consultation on the draft SNI in five cities", approvals=ok)
    s.tx("hendra", SPEND, d(6, 8), 1_450_000_000, "sandang-lestari", "PT Teknik Air Bersih",
         "WP2", "Upgrade of the effluent treatment plant, Cikarang factory",
         rejection=("rina", "This is the factory's own investment under its corrective "
                            "action plan; the partnership pays for audits and follow-up, "
                            "not plant upgrades."))
    s.tx("rudi", SPEND, d(4, 22), 88_000_000, "serikat-buruh-garmen", "Wisma Buruh Bekasi",
         "WP1", "Training 60 worker representatives to handle grievances, Bekasi",
         key="training")
    s.correct("training", "rudi", d(4, 29),
              "Tagged to the wrong work package: the training belongs to WP4, grievance "
              "channels.", budget_line=s.lines[("WP4", 1)])
    # Awaiting the coordinator's approval.
    s.tx("ani", SPEND, d(11, 16), 168_000_000, "tekstil-nusantara", "PT Warna Aman Kimia",
         "WP5", "Substitute dyes and auxiliaries for the second dye house, first full month")
    # fmt: on
    s.run()


def seed() -> None:
    """Give both demo partnerships a year of finance (idempotent)."""
    seed_immunisation()
    seed_textiles()
