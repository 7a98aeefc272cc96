"""The ledger's pages: a partnership's own log, and how to verify the whole ledger.

A partnership's ledger page follows the permission policy (a private partnership's page
is 404 to anyone who may not see it); /ledger/ explains verification and shows the key
and the latest checkpoint. Both exist in English and Indonesian.
"""

from __future__ import annotations

import html
import re

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from sinergi.ledger import checkpoints, kinds, log
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships import services
from tests.conftest import Cast, client_for
from tests.core.conftest import compiled_translations  # noqa: F401 - the session fixture
from tests.factories import OrganisationFactory, PartnershipFactory, PersonFactory
from tests.ledger import support

pytestmark = pytest.mark.usefixtures("compiled_translations")


def ledger_page(cast: Cast, language: str = "en") -> str:
    return f"/{language}/partnerships/{cast.partnership.slug}/ledger/"


@pytest.fixture
def events(ledger, private_cast) -> Cast:
    """The private partnership's coordinator grants a role and adds a partner; another
    partnership logs an event of its own; a checkpoint covers all three."""
    cast = private_cast
    coordinator = cast.people["coordinator"]
    newcomer = PersonFactory(username="gita", organisation=cast.people["member"].organisation)
    services.grant_membership(
        actor=coordinator, partnership=cast.partnership, person=newcomer, role="observer"
    )
    services.add_partner(
        actor=coordinator,
        partnership=cast.partnership,
        organisation=OrganisationFactory(slug="yayasan-hijau"),
        role="2",
    )
    support.append_events(1, partnership=PartnershipFactory(), kind="test.elsewhere")
    checkpoints.issue_checkpoint()
    return cast


@pytest.mark.parametrize("who", ["coordinator", "partner_admin", "member", "observer", "staff"])
def test_those_who_see_the_partnership_see_its_ledger(events, who):
    """Given anyone who may see the private partnership, then its ledger page lists its
    own events, newest first, with who did what, and a receipt link for each; not the
    events of another partnership."""
    response = client_for(events.people[who]).get(ledger_page(events))

    assert response.status_code == 200
    assert [row.index for row in response.context["rows"]] == [1, 0]
    assert [row.kind for row in response.context["rows"]] == [
        "partner.joined",
        "membership.granted",
    ]
    content = response.content.decode()
    assert "membership.<wbr>granted" in content and "Membership granted" in content
    assert "partner.<wbr>joined" in content and "Partner joined" in content
    assert Person.objects.get(username="gita").get_full_name() in content
    partner = Organisation.objects.get(slug="yayasan-hijau")
    assert f'<dt title="organisation">Organisation</dt><dd>{partner.name}</dd>' in content
    assert events.people["coordinator"].get_full_name() in content
    assert "test.elsewhere" not in content
    assert 'href="/api/v1/ledger/entries/0/receipt"' in content
    assert 'href="/api/v1/ledger/entries/2/receipt"' not in content


def by_cells(content: str) -> list[str]:
    """The text of the page's "By" cells, row by row, without markup."""
    return [
        re.sub(r"<[^>]+>", "", cell)
        for cell in re.findall(r'<td class="by"[^>]*>(.*?)</td>', content)
    ]


@pytest.mark.parametrize("who", ["coordinator", "observer", "staff"])
def test_the_partnership_s_own_people_see_who_acted_by_name_and_organisation(events, who):
    """Given a reader who may see the partnership's members (its people, staff), then "By"
    and the person an entry names read "Full name (Organisation)", not a login name."""
    coordinator = events.people["coordinator"]
    coordinator.first_name, coordinator.last_name = "Sari", "Wulandari"
    coordinator.save()
    organisation = coordinator.organisation.name

    content = html.unescape(client_for(events.people[who]).get(ledger_page(events)).text)

    assert by_cells(content) == [f"Sari Wulandari ({organisation})"] * 2
    newcomer = Person.objects.get(username="gita")
    assert f"Person</dt><dd>{newcomer.get_full_name()} ({organisation})</dd>" in content
    assert "Person</dt><dd>gita" not in content


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_others_see_only_the_account_names_the_public_entries_sign(ledger, public_cast, who):
    """Given a public partnership and a reader who may not see its members, then "By" and
    the person an entry names show what its public entry (the entries API) says, the
    username, and neither the person's name nor their organisation."""
    coordinator = public_cast.people["coordinator"]
    newcomer = PersonFactory(first_name="Gita", last_name="Pratiwi", username="gita")
    services.grant_membership(
        actor=coordinator, partnership=public_cast.partnership, person=newcomer, role="observer"
    )
    client = client_for(public_cast.people[who])
    api = client.get(f"/api/v1/ledger/partnerships/{public_cast.partnership.slug}/entries")
    (item,) = api.json()["items"]

    content = html.unescape(client.get(ledger_page(public_cast)).text)

    assert by_cells(content) == [item["actor"]] == [coordinator.username]
    assert f"Person</dt><dd>{item['payload']['person']}</dd>" in content
    table = content.split('<table class="list ledger"')[1].split("</table>")[0]
    for private in (
        coordinator.first_name,
        coordinator.organisation.name,
        "Pratiwi",
        newcomer.organisation.name,
    ):
        assert private not in table


@pytest.mark.parametrize("language", ["en", "id"])
def test_positions_are_said_to_be_in_the_platform_log_once_above_the_table(events, language):
    """Given a partnership whose entries are positions 0 and 1 of a log that another
    partnership also writes to, then the column says these are positions in the log, and
    one note above the table says that the missing positions hold other partnerships'
    entries and that checkpoints sign the whole platform log: gaps are not deletions."""
    content = client_for(events.people["member"]).get(ledger_page(events, language)).text
    heading = {"en": "Log position", "id": "Posisi di log"}[language]

    header = content.split("<thead>")[1].split("</thead>")[0]
    assert f'<th scope="col">{heading}</th>' in header
    assert content.count(f'<td class="index" data-label="{heading}">') == 2
    note = re.search(r'<p class="meta" id="ledger-positions">(.*?)</p>', content, re.S)
    assert note and content.count('id="ledger-positions"') == 1
    assert content.index('id="ledger-positions"') < content.index("<table")
    words = {
        "en": ("other partnerships' entries", "not deleted", "whole platform log"),
        "id": ("entri kemitraan lain", "bukan entri yang dihapus", "seluruh log platform"),
    }[language]
    assert all(word in html.unescape(note.group(1)) for word in words)


def test_each_witness_says_whether_it_cosigned_the_latest_checkpoint_and_when(events):
    """Given three witnesses (one a checkpoint behind, one on the latest, one that never
    cosigned), then each says which, with when it cosigned in the site's time zone, as
    the checkpoint's own time is; a witness's organisation reads without doubled
    parentheses."""
    from datetime import UTC, datetime

    from sinergi.ledger.models import Checkpoint, Cosignature, Witness

    first = Checkpoint.objects.get()
    services.grant_membership(
        actor=events.people["coordinator"],
        partnership=events.partnership,
        person=PersonFactory(organisation=events.people["member"].organisation),
        role="observer",
    )
    latest = checkpoints.issue_checkpoint()
    ugm = OrganisationFactory(name="Universitas Gadjah Mada", acronym="UGM")
    behind = Witness.objects.create(name="witness.ugm.example/sinergi", vkey="a", organisation=ugm)
    current = Witness.objects.create(name="witness.gavi.example/sinergi", vkey="b")
    Witness.objects.create(name="witness.new.example/sinergi", vkey="c")
    moment = int(datetime(2026, 12, 1, 4, 47, tzinfo=UTC).timestamp())  # 11:47 in Jakarta
    Cosignature.objects.create(checkpoint=first, witness=behind, timestamp=moment, line="x")
    Cosignature.objects.create(checkpoint=latest, witness=current, timestamp=moment, line="y")

    content = html.unescape(client_for(events.people["member"]).get(ledger_page(events)).text)

    witnesses = re.findall(r"<li>(witness\.[^<]*)</li>", content)
    assert witnesses == [
        "witness.gavi.example/sinergi: has cosigned the latest checkpoint, on 1 Dec 2026 11:47 WIB",
        "witness.new.example/sinergi: has not cosigned a checkpoint yet",
        "witness.ugm.example/sinergi, run by Universitas Gadjah Mada (UGM): is 1 entry behind "
        "the latest checkpoint: it last cosigned the one of 3 entries, on 1 Dec 2026 11:47 WIB",
    ]
    assert "((" not in content and "))" not in content
    checkpoint_line = re.search(r"Latest signed checkpoint: [^<]*", content).group(0)
    assert checkpoint_line.startswith("Latest signed checkpoint: the platform log's first 4 ")
    assert checkpoint_line.endswith(" WIB.")
    indonesian = client_for(events.people["member"]).get(ledger_page(events, "id")).text
    assert "witness.ugm.example/sinergi, dijalankan oleh Universitas Gadjah Mada (UGM): " in (
        html.unescape(indonesian)
    )
    assert "tertinggal 1 entri dari titik periksa terbaru" in indonesian


def test_a_stored_cosignature_time_beyond_the_calendar_does_not_break_the_page(events):
    """Given a cosignature stored with a timestamp no calendar date has (milliseconds
    for seconds, or the largest a line can hold: accepted before the log bounded them),
    then the Ledger page still renders, saying the witness cosigned without a date."""
    from sinergi.ledger.models import Checkpoint, Cosignature, Witness

    latest = Checkpoint.objects.get()
    for number, stamp in enumerate((1_796_150_607_970, 2**63 - 1)):
        witness = Witness.objects.create(
            name=f"witness.w{number}.example/sinergi", vkey=f"k{number}"
        )
        Cosignature.objects.create(checkpoint=latest, witness=witness, timestamp=stamp, line="x")

    response = client_for(events.people["member"]).get(ledger_page(events))

    assert response.status_code == 200
    witnesses = re.findall(r"<li>(witness\.[^<]*)</li>", html.unescape(response.text))
    assert witnesses == [
        "witness.w0.example/sinergi: has cosigned the latest checkpoint",
        "witness.w1.example/sinergi: has cosigned the latest checkpoint",
    ]


@pytest.fixture
def areas(ledger, private_cast) -> Cast:
    """A partnership with 52 finance entries, 3 results entries and 2 governance ones
    (an admin change and a grant), interleaved."""
    cast = private_cast
    support.append_events(30, partnership=cast.partnership, kind="finance.transaction.recorded")
    support.append_events(3, partnership=cast.partnership, kind="results.value.approved")
    support.append_events(1, partnership=cast.partnership, kind="admin.changed")
    support.append_events(22, partnership=cast.partnership, kind="finance.rate.set", first=30)
    services.grant_membership(
        actor=cast.people["coordinator"],
        partnership=cast.partnership,
        person=PersonFactory(organisation=cast.people["member"].organisation),
        role="observer",
    )
    checkpoints.issue_checkpoint()
    return cast


@pytest.mark.parametrize(
    ("area", "shown"),
    [
        (None, 57),
        ("finance", 52),
        ("results", 3),
        ("governance", 2),
        ("elsewhere", 57),  # an area the page does not know: every entry
    ],
)
def test_entries_are_filtered_by_area(areas, area, shown):
    """Given a partnership's governance, finance and results entries, then the query
    gives those of one area, kinds told apart by their first part."""
    from sinergi.ledger import queries

    entries = list(queries.partnership_entries(areas.partnership.pk, area))

    assert len(entries) == shown
    if area in ("finance", "results"):
        assert {e.kind.split(".")[0] for e in entries} == {area}
    if area == "governance":
        assert not {e.kind.split(".")[0] for e in entries} & {"finance", "results"}


def test_the_page_filters_by_area_and_its_pages_keep_the_filter(areas):
    """Given the finance filter on the Ledger tab, then it lists finance entries only, says
    which filter is on, and its next page keeps the filter (no stray "&" in the link)."""
    client = client_for(areas.people["member"])
    url = ledger_page(areas)

    first = client.get(url + "?area=finance")
    second = client.get(url + "?area=finance&page=2")

    assert {row.kind.split(".")[0] for row in first.context["rows"]} == {"finance"}
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 2
    assert '<a href="?area=finance" aria-current="page">Finance</a>' in first.text
    assert '<a href="?area=finance&amp;page=2" rel="next">' in first.text
    assert '<a href="?area=finance&amp;page=1" rel="prev">' in second.text
    everything = client.get(url).text
    assert '<a href="?" aria-current="page">All</a>' in everything
    assert '<a href="?page=2" rel="next">' in everything and "?&" not in everything
    results = client.get(url + "?area=results").context["rows"]
    assert [row.kind for row in results] == ["results.value.approved"] * 3


@pytest.mark.parametrize(
    ("language", "caption", "recorded", "receipt"),
    [
        ("en", "2 entries, newest first", "Recorded", "Download{}the receipt for entry {}"),
        ("id", "2 entri, terbaru di atas", "Tercatat", "Unduh{}tanda terima entri {}"),
    ],
)
def test_the_table_reads_well_to_a_screen_reader(events, language, caption, recorded, receipt):
    """Given a screen reader, then the table has a caption, every column header has
    words (the log position, "Recorded" for the time the log recorded), and each receipt
    link names its entry instead of fifty links all called "Download"."""
    content = client_for(events.people["member"]).get(ledger_page(events, language)).text

    assert f"<caption>{caption}</caption>" in content
    headers = re.findall(r'<th scope="col">([^<]*)</th>', content)
    assert all(header.strip() and header != "#" for header in headers) and len(headers) == 6
    assert headers[1] == recorded
    hidden = '<span class="visually-hidden"> '
    links = re.findall(r'<a href="/api/v1/ledger/entries/\d+/receipt">(.*?)</a>', content)
    assert links == [receipt.format(hidden, 1) + "</span>", receipt.format(hidden, 0) + "</span>"]


def test_a_filtered_table_says_which_area_it_shows(areas):
    content = client_for(areas.people["member"]).get(ledger_page(areas) + "?area=finance").text

    assert "<caption>Finance: 52 entries, newest first</caption>" in content


def test_a_receipt_linked_from_the_page_downloads(events):
    """Given the receipt link on a member's ledger page, then it downloads a receipt."""
    client = client_for(events.people["member"])
    client.get(ledger_page(events))

    response = client.get("/api/v1/ledger/entries/0/receipt")

    assert response.status_code == 200
    assert response.content.startswith(b"c2sp.org/tlog-proof@v1\nindex 0\n")


def test_the_page_links_its_entries_as_json_for_the_same_readers(events):
    """Given the page's link to the entries as JSON, then with the same session it gives
    the events the page lists, newest first, with their exact bytes."""
    client = client_for(events.people["observer"])
    page = client.get(ledger_page(events)).content.decode()
    url = f"/api/v1/ledger/partnerships/{events.partnership.slug}/entries"
    assert f'<a href="{url}">' in page

    items = client.get(url).json()["items"]

    assert [(i["index"], i["kind"]) for i in items] == [
        (1, "partner.joined"),
        (0, "membership.granted"),
    ]
    assert all(i["body"] for i in items)


def test_the_page_signs_a_checkpoint_covering_new_events(events):
    """Given an event logged after the latest checkpoint, then the page signs a new
    checkpoint on the way, so the new event's receipt is linked, not "pending"."""
    services.grant_membership(
        actor=events.people["coordinator"],
        partnership=events.partnership,
        person=PersonFactory(organisation=events.people["member"].organisation),
        role="member",
    )

    response = client_for(events.people["member"]).get(ledger_page(events))

    assert response.status_code == 200
    assert response.context["checkpoint"].size == 4
    assert 'href="/api/v1/ledger/entries/3/receipt"' in response.content.decode()


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_a_private_partnerships_ledger_is_404_to_outsiders(events, who, language):
    """Given someone who may not see the private partnership, then its ledger page is
    404, in either language, and shows none of its events."""
    response = client_for(events.people[who]).get(ledger_page(events, language))

    assert response.status_code == 404
    assert b"membership.<wbr>granted" not in response.content
    assert b"Membership granted" not in response.content and b"granted" not in response.content
    assert events.partnership.title.encode() not in response.content


def test_a_public_partnerships_ledger_is_open_to_everyone(ledger, public_cast):
    """Given a public partnership with one logged grant, then anonymous visitors see it."""
    services.grant_membership(
        actor=public_cast.people["coordinator"],
        partnership=public_cast.partnership,
        person=PersonFactory(organisation=public_cast.people["member"].organisation),
        role="observer",
    )

    response = Client().get(ledger_page(public_cast))

    assert response.status_code == 200
    assert b"membership.<wbr>granted" in response.content


def test_an_unknown_partnership_has_no_ledger_page(ledger):
    """Given a slug no partnership has, then its ledger page is 404."""
    assert Client().get("/en/partnerships/no-such-thing/ledger/").status_code == 404


def test_the_about_page_explains_verification_and_shows_key_and_checkpoint(events):
    """Given a log with a checkpoint, then /en/ledger/ explains how to verify it (RFC
    9162, the checkpoint and key URLs, the offline verifier, witnesses) and shows the
    log's verifier key and the latest checkpoint note as served at /ledger/checkpoint."""
    response = Client().get("/en/ledger/")

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "Verify the transparency ledger" in content
    assert "RFC 9162" in content
    assert "http://testserver/ledger/checkpoint" in content
    assert "http://testserver/ledger/vkey" in content
    assert (
        "curl -s -o sinergi-ledger.pyz \\\n  http://testserver/ledger/sinergi-ledger.pyz" in content
    )
    assert "python3 sinergi-ledger.pyz receipt \\\n  entry.tlog-proof" in content
    assert "python3 sinergi-ledger.pyz witness \\\n  --url http://testserver" in content
    assert "python3 sinergi-ledger.pyz log \\\n  http://testserver" in content
    assert "An export made with --public can be published" in content
    assert "leaf hash of a private partnership's entry" in content  # the salt, explained
    assert checkpoints.verifier_key() in content
    note = Client().get("/ledger/checkpoint").content.decode()
    assert note in content
    assert f"\n{log.current_head().size}\n" in note


def test_the_about_page_of_an_empty_log(ledger):
    """Given no entries, then /en/ledger/ says the log is empty and still shows the key."""
    response = Client().get("/en/ledger/")

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert "The log is empty." in content
    assert checkpoints.verifier_key() in content


def test_the_about_page_in_indonesian(events):
    """Given /id/ledger/, then the page is in Indonesian, with the same key."""
    response = Client().get("/id/ledger/")

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert '<html lang="id">' in content
    assert "Verifikasi buku besar transparansi" in content
    assert "Verify the transparency ledger" not in content
    assert checkpoints.verifier_key() in content


def test_the_partnership_ledger_page_in_indonesian(events):
    """Given a member at /id/partnerships/<slug>/ledger/, then the page is in Indonesian
    and lists the same events."""
    response = client_for(events.people["member"]).get(ledger_page(events, "id"))

    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="id">' in content
    assert "Buku besar transparansi" in content
    assert "membership.<wbr>granted" in content and "Keanggotaan diberikan" in content


def test_each_event_is_named_in_words_beside_its_code_and_dated_in_the_readers_zone(events):
    """Given the ledger page in English and in Indonesian, then each event is named in
    the reader's language, its signed code shown under it, and its time as a date in the
    site's zone with the recorded RFC 3339 time in the markup."""
    client = client_for(events.people["member"])
    english = client.get(ledger_page(events)).content.decode()
    indonesian = client.get(ledger_page(events, "id")).content.decode()
    row = client.get(ledger_page(events)).context["rows"][0]

    assert "Partner joined" in english and "Membership granted" in english
    assert '<code class="meta kind">partner.<wbr>joined</code>' in english
    assert "Mitra bergabung" in indonesian and "Partner joined" not in indonesian
    assert '<code class="meta kind">partner.<wbr>joined</code>' in indonesian
    local = timezone.localtime(row.time)
    assert f'<time datetime="{row.time_text}">{local:%-d} ' in english
    assert row.time_text.endswith("Z") and local.strftime("%H:%M:%S") in english


def test_the_details_name_what_they_refer_to_and_leave_out_empty_fields(ledger, private_cast):
    """Given an entry whose payload holds a reference with a name, a decimal, a flag and
    empty fields, then the page shows the name, the number and yes, and no empty field."""
    with transaction.atomic():
        log.append(
            "results.value.approved",
            {
                "reported_by": {"name": "Universitas Gadjah Mada", "organisation": 6, "ref": None},
                "value": "79.0000",
                "final": True,
                "text": None,
                "evidence": [],
                "values": {},
                "sites": [{"lat": "-6.2", "lon": "106.8"}],
            },
            private_cast.partnership,
            private_cast.people["coordinator"],
        )
    content = client_for(private_cast.people["member"]).get(ledger_page(private_cast))
    text = content.content.decode()

    assert '<dt title="reported_by">Reported by</dt><dd>Universitas Gadjah Mada</dd>' in text
    assert '<dt title="value">Value</dt><dd>79</dd>' in text
    assert '<dt title="final">Final</dt><dd>yes</dd>' in text
    assert '<dt title="sites">Sites</dt><dd>(lat: -6.2, lon: 106.8)</dd>' in text
    for empty in ("text:", "evidence:", "values:", "None", "[]", "{}"):
        assert empty not in text.split('<table class="list ledger"')[1].split("</table>")[0]
    assert "Value approved" in text


@pytest.mark.parametrize(
    ("language", "amount", "values", "code"),
    [
        ("en", "2,900", "sex:female: 1,234.5; sex:male: 21", "5.1"),
        ("id", "2.900", "sex:female: 1.234,5; sex:male: 21", "5.1"),
    ],
)
def test_figures_are_written_as_the_reader_s_language_writes_numbers_and_codes_stay(
    ledger, private_cast, language, amount, values, code
):
    """ "2900.0000" on an Indonesian page would read as another number: figures are shown
    grouped in the page's language, trailing zeros dropped; codes that look like numbers
    (a result's code, an IATI type) are left as signed."""
    with transaction.atomic():
        log.append(
            "results.value.approved",
            {
                "value": "2900.0000",
                "values": {"sex:female": "1234.5000", "sex:male": "21.0000"},
                "code": "5.1",
            },
            private_cast.partnership,
            private_cast.people["coordinator"],
        )
    client = client_for(private_cast.people["member"])

    text = client.get(ledger_page(private_cast, language)).text

    assert f'title="value">{"Value" if language == "en" else "Nilai"}</dt><dd>{amount}</dd>' in text
    assert 'title="values">' in text and values in text
    assert re.search(f'title="code">[^<]*</dt><dd>{re.escape(code)}</dd>', text)


@pytest.mark.parametrize(
    ("kind", "key", "value", "shown"),
    [
        (
            "results.targets.set",
            "targets",
            [{"period": "2026", "category": "sex:female", "value": "1500.0000"}],
            "2026, sex:female: 1.500",
        ),
        ("results.value.approved", "values", {"province:ID-JB": "2.0000"}, "province:ID-JB: 2"),
        (
            "finance.transaction.recorded",
            "amount",
            "1" + "0" * 29 + ".5",
            "100" + ".000" * 9 + ",5",
        ),
        ("finance.transaction.recorded", "amount", "not a number", "not a number"),
    ],
)
def test_figures_inside_objects_are_written_and_codes_beside_them_stay(kind, key, value, shown):
    """In a target, the period "2026" is a code and stays; its value is a figure."""
    with translation.override("id"):
        assert kinds.field_value_text(kind, key, value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (True, "yes"),
        (False, "no"),
        ([], "—"),
        ({}, "—"),
        (["a", 2, None], "a, 2, —"),
        ({"name": "WWF", "id": 3}, "WWF"),
        ({"id": 3, "ref": None, "tags": ["x"]}, "(id: 3, tags: x)"),
        ("<b>", "<b>"),  # escaped by the template, not here
    ],
)
def test_a_payload_value_reads_as_text(value, shown):
    assert kinds.value_text(value) == shown


def test_an_unknown_kind_shows_as_its_code():
    assert kinds.label("test.elsewhere") == "test.elsewhere"
    assert kinds.label("partner.left") == "Partner left"


def test_payload_fields_read_as_words_in_the_reader_s_language_or_as_their_name():
    """Given payload field names, then known ones read as words (in Indonesian under id)
    and an unknown one as its signed name."""
    assert kinds.field_label("reported_by") == "Reported by"
    assert kinds.field_label("no_such_field") == "no_such_field"
    with translation.override("id"):
        assert kinds.field_label("reported_by") == "Dilaporkan oleh"
        assert kinds.field_label("work_package") == "Paket kerja"


@pytest.mark.parametrize(
    ("kind", "key", "code", "english"),
    [
        ("results.indicator.created", "frequency", "monthly", "Monthly"),
        ("results.indicator.created", "measure", "1", "Unit"),
        ("finance.pledge.status_changed", "to", "fulfilled", "Fulfilled"),
        ("finance.pledge.status_changed", "reason", "delivered_in_full", "Delivered in full"),
        ("finance.pledge.recorded", "kind", "personnel", "Personnel time"),
        ("finance.transaction.recorded", "type", "3", "Disbursement"),
        ("partner.joined", "role", "1", "Funding"),
        ("membership.granted", "role", "partner_admin", "Partner admin"),
    ],
)
def test_coded_values_read_as_words_in_the_reader_s_language(kind, key, code, english):
    """Given an entry whose payload holds a code (a frequency, a pledge status, an IATI
    transaction type or organisation role), then its details show the code's words in
    the reader's language — not the English code on an Indonesian page — and the same
    code under a kind it does not belong to stays as it is."""
    from sinergi.ledger.models import Entry

    def details(language: str) -> dict[str, str]:
        body = {"kind": kind, "time": "2026-01-01T00:00:00Z", "payload": {key: code}}
        with translation.override(language):
            return {name: value for _label, name, value in kinds.row(Entry(index=0), body).details}

    assert details("en")[key] == english
    assert details("id")[key] not in (code, english)
    other = {"kind": "test.event", "time": "2026-01-01T00:00:00Z", "payload": {key: code}}
    assert kinds.row(Entry(index=0), other).details[0][2] == code


def test_hostile_text_in_an_entry_is_shown_as_text(ledger, private_cast):
    """Given an entry whose kind, payload keys and values carry markup, then the page
    shows them escaped: the code's <wbr> breaks are the only markup it adds."""
    with transaction.atomic():
        log.append(
            "test.<i>odd</i>",
            {
                "<b>key</b>": "<script>alert(1)</script>",
                "by": {"name": "<img src=x onerror=alert(2)>"},
            },
            private_cast.partnership,
            private_cast.people["coordinator"],
        )
    text = client_for(private_cast.people["member"]).get(ledger_page(private_cast))
    text = text.content.decode()

    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(2)&gt;" in text
    assert "<b>key</b>" not in text and "&lt;b&gt;key&lt;/b&gt;" in text
    assert "<i>odd</i>" not in text and "test.<wbr>&lt;i&gt;odd&lt;/i&gt;" in text
