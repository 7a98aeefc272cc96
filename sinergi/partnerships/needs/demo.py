"""Demo data for partner matching (called by `sinergi demo`; idempotent).

Adds the capabilities each demo partnership needs (entered by its coordinator), and
twenty-one registry organisations that take part in neither partnership, with their
capabilities (entered by the platform admin), so that the Matching tab has something
real to recommend: a Papuan NGO with local knowledge, a telecom company with data and
technology, a health philanthropy, a chemical-safety NGO, a cold-chain logistics firm…

Organisations already in the registry (by name) and partnerships that already list any
need are left alone.
"""

from __future__ import annotations

from sinergi.partners import services as registry
from sinergi.partners.capabilities.services import add_capability
from sinergi.partners.models import Organisation, Person
from sinergi.partnerships.models import Partnership
from sinergi.partnerships.needs.services import add_need

DAC = "2"
SDG = "7"

# name, acronym, IATI type, IATI identifier, country, subdivisions, website, en, id,
# capabilities: (kind, vocabulary, code, regions, description)
REGISTRY = [
    ("Yayasan Papua Lestari", "YPL", "22", "", "ID", ["ID-PA", "ID-PB"], "",
     "Papuan NGO working with customary communities on health and livelihoods.",
     "LSM Papua yang bekerja dengan masyarakat adat di bidang kesehatan dan penghidupan.",
     [("local_knowledge", SDG, "3", ["ID-PA", "ID-PB"],
       "Knows the highland and coastal villages of Papua and Papua Barat and their leaders."),
      ("community", DAC, "122", ["ID-PB"],
       "Village health cadres trained with the district health offices.")]),
    ("Perkumpulan Masyarakat Adat Maluku", "PMAM", "24", "", "ID", ["ID-MA"], "",
     "Association of customary communities in the Maluku islands.",
     "Perkumpulan masyarakat adat di kepulauan Maluku.",
     [("local_knowledge", "", "", ["ID-MA"],
       "Island-by-island knowledge of customary leaders, languages and sea routes."),
      ("community", SDG, "3", ["ID-MA"],
       "Mobilises families through church and customary networks.")]),
    ("PT Sinyal Timur Telekomunikasi", "Sinyal Timur", "72", "", "ID", ["ID-PA", "ID-NT"], "",
     "Mobile operator covering eastern Indonesia.",
     "Operator seluler yang melayani Indonesia timur.",
     [("data_tech", "", "", ["ID"],
       "Mobile data, SMS reminders and offline-first apps for field workers."),
      ("network", DAC, "220", ["ID-PA", "ID-PB", "ID-MA"],
       "Towers and satellite links in remote districts.")]),
    ("Yayasan Filantropi Sehat Nusantara", "YFSN", "60", "", "ID", [], "",
     "Family philanthropy funding maternal and child health.",
     "Filantropi keluarga yang mendanai kesehatan ibu dan anak.",
     [("finance", SDG, "3", [], "Grants for health programmes in underserved provinces."),
      ("finance", SDG, "4", ["ID"], "Scholarships for midwives and nurses.")]),
    ("Jaringan Aman Bahan Kimia Indonesia", "JABKI", "22", "", "ID", ["ID-JB", "ID-JT"], "",
     "NGO working on chemical safety in manufacturing and in water.",
     "LSM yang bekerja pada keamanan bahan kimia dalam manufaktur dan air.",
     [("technical", SDG, "12", ["ID-JB", "ID-JT"],
       "Chemical inventories, substitution plans and safe handling training for factories."),
      ("technical", DAC, "140", ["ID-JB"], "Wastewater testing along the Citarum river."),
      ("policy", SDG, "12", ["ID"], "Advocates for a national restricted-substances list.")]),
    ("PT Logistik Dingin Maluku", "LDM", "72", "", "ID", ["ID-MA", "ID-PA"], "",
     "Cold-chain logistics by sea and air in Maluku and Papua.",
     "Logistik rantai dingin lewat laut dan udara di Maluku dan Papua.",
     [("in_kind", DAC, "210", ["ID-MA", "ID-PA", "ID-PB"],
       "Refrigerated boats, solar fridges and warehouse space."),
      ("technical", DAC, "122", ["ID-MA"], "Temperature monitoring for vaccine transport.")]),
    ("Universitas Cenderawasih", "UNCEN", "80", "", "ID", ["ID-PA"], "https://uncen.ac.id",
     "Public university in Jayapura.", "Universitas negeri di Jayapura.",
     [("technical", DAC, "121", ["ID-PA"], "Public health research in Papua."),
      ("data_tech", SDG, "3", ["ID-PA"], "District health surveys and mapping.")]),
    ("Dinas Kesehatan Provinsi Maluku", "Dinkes Maluku", "11", "", "ID", ["ID-MA"], "",
     "Provincial health office of Maluku.", "Dinas kesehatan Provinsi Maluku.",
     [("policy", DAC, "122", ["ID-MA"], "Runs the provincial immunisation programme."),
      ("in_kind", DAC, "122", ["ID-MA"], "Health centres and vaccinators in every district.")]),
    ("Solidaritas Perempuan Buruh Banten", "SPBB", "21", "", "ID", ["ID-BT"], "",
     "Women workers' organisation in the industrial estates of Banten.",
     "Organisasi buruh perempuan di kawasan industri Banten.",
     [("community", SDG, "5", ["ID-BT"],
       "Organises women garment workers; safe spaces and legal aid."),
      ("local_knowledge", DAC, "160", ["ID-BT"],
       "Knows the factories and dormitories of Banten.")]),
    ("PT Jejak Digital Rantai Pasok", "Jejak", "70", "", "ID", ["ID-JB"], "",
     "Supply-chain traceability software.", "Perangkat lunak ketertelusuran rantai pasok.",
     [("data_tech", SDG, "8", ["ID"], "Worker-voice surveys and wage data from factories."),
      ("data_tech", SDG, "12", [], "Traceability of fibres and chemicals from mill to brand.")]),
    ("UNICEF Indonesia", "UNICEF", "40", "XM-DAC-41122", "ID", [], "https://www.unicef.org/indonesia",
     "United Nations Children's Fund, Indonesia country office.",
     "Dana Anak-Anak Perserikatan Bangsa-Bangsa, kantor perwakilan Indonesia.",
     [("technical", DAC, "122", ["ID"], "Immunisation supply chain and demand generation."),
      ("in_kind", DAC, "210", ["ID-PA", "ID-NT"], "Cold-chain equipment and vaccine carriers."),
      ("data_tech", SDG, "3", ["ID"], "Real-time monitoring of immunisation sessions.")]),
    ("United Nations Industrial Development Organization", "UNIDO", "40", "XM-DAC-41123", "AT", [],
     "https://www.unido.org", "UN agency for inclusive and sustainable industrial development.",
     "Badan PBB untuk pembangunan industri yang inklusif dan berkelanjutan.",
     [("technical", SDG, "12", [], "Cleaner production and chemical management in industry."),
      ("policy", SDG, "12", ["ID"], "Advises ministries on chemicals and industrial policy.")]),
    ("Yayasan Air Bersih Jawa Barat", "YABJB", "22", "", "ID", ["ID-JB"], "",
     "Clean water and sanitation NGO in West Java.", "LSM air bersih dan sanitasi di Jawa Barat.",
     [("technical", DAC, "140", ["ID-JB"], "Water quality testing and treatment design."),
      ("community", DAC, "140", ["ID-JB"], "Village water committees.")]),
    ("Koperasi Nelayan Maluku Sejahtera", "KNMS", "90", "", "ID", ["ID-MA"], "",
     "Fishers' cooperative in Maluku.", "Koperasi nelayan di Maluku.",
     [("in_kind", DAC, "313", ["ID-MA"], "Boats and crews between the islands."),
      ("local_knowledge", "", "", ["ID-MA"], "Knows every landing and island community.")]),
    ("Bank Pembangunan Daerah Papua", "Bank Papua", "72", "", "ID", ["ID-PA", "ID-PB"], "",
     "Regional development bank of Papua.", "Bank pembangunan daerah Papua.",
     [("finance", DAC, "240", ["ID-PA", "ID-PB"], "Micro-credit and payment services."),
      ("finance", SDG, "3", ["ID-PA"], "Funds health programmes from its social budget.")]),
    ("Global Fund for Women Workers", "GFWW", "60", "", "US", [], "",
     "International foundation for women workers' rights.",
     "Yayasan internasional untuk hak-hak buruh perempuan.",
     [("finance", SDG, "5", [], "Grants to women workers' organisations."),
      ("network", SDG, "8", [], "Links unions, brands and researchers in Asia.")]),
    ("Stichting Fair Garments Europe", "FGE", "21", "", "NL", [], "",
     "European multi-stakeholder initiative for fair garments.",
     "Inisiatif multi-pihak Eropa untuk garmen yang adil.",
     [("network", SDG, "12", [], "Brings European brands to the table."),
      ("technical", SDG, "8", ["ID"], "Living-wage costing with brands and suppliers.")]),
    ("Institut Teknologi Bandung", "ITB", "80", "", "ID", ["ID-JB"], "https://www.itb.ac.id",
     "Public technical university in Bandung.", "Perguruan tinggi teknik negeri di Bandung.",
     [("technical", DAC, "321", ["ID-JB"], "Textile engineering and dyeing chemistry."),
      ("technical", SDG, "12", ["ID-JB", "ID-JT"], "Life-cycle assessment of textiles.")]),
    ("Pemerintah Kabupaten Bandung", "Pemkab Bandung", "11", "", "ID", ["ID-JB"], "",
     "District government of Bandung.", "Pemerintah Kabupaten Bandung.",
     [("policy", DAC, "140", ["ID-JB"], "Permits and enforcement for industrial wastewater."),
      ("in_kind", DAC, "140", ["ID-JB"], "Laboratory of the district environment office.")]),
    ("PT Awan Data Kesehatan", "AwanData", "70", "", "ID", ["ID-JK"], "",
     "Health data start-up.", "Perusahaan rintisan data kesehatan.",
     [("data_tech", SDG, "3", ["ID"], "Dashboards and digital registers for health offices."),
      ("data_tech", DAC, "122", [], "Offline-first immunisation registers.")]),
    ("Yayasan Bidan Desa Nusa Tenggara", "YBDNT", "22", "", "ID", ["ID-NT", "ID-MA"], "",
     "Village midwives' foundation in Nusa Tenggara and Maluku.",
     "Yayasan bidan desa di Nusa Tenggara dan Maluku.",
     [("community", SDG, "3", ["ID-NT", "ID-MA"], "Village midwives who visit every household."),
      ("technical", DAC, "130", ["ID-NT"], "Training in antenatal and newborn care.")]),
]  # fmt: skip

# partnership slug → coordinator username, needs: (kind, vocabulary, code, regions, weight, note)
NEEDS = {
    "immunisation-indonesia": ("sari", [
        ("finance", SDG, "3", [], 5, "Vaccines and operating costs"),
        ("local_knowledge", "", "", ["ID-PB", "ID-MA"], 5,
         "Villages the programme has not reached yet"),
        ("community", SDG, "3", ["ID-MA"], 4, "Families in the Maluku islands"),
        ("in_kind", DAC, "210", ["ID-MA", "ID-PB"], 4, "Cold chain to the islands"),
        ("data_tech", DAC, "122", ["ID-PA"], 3, "Digital immunisation registers"),
        ("data_tech", SDG, "3", ["ID-PA", "ID-PB"], 3, "SMS reminders to parents"),
        ("policy", DAC, "122", ["ID-PA"], 2, "Provincial health office support"),
    ]),
    "sustainable-textiles-indonesia": ("rina", [
        ("technical", SDG, "12", ["ID-JB", "ID-JT"], 5, "Chemical substitution in dyeing"),
        ("technical", DAC, "140", ["ID-JB"], 4, "Wastewater treatment"),
        ("finance", SDG, "8", [], 4, "Living-wage pilots"),
        ("data_tech", SDG, "8", [], 3, "Wage and worker-voice data"),
        ("community", SDG, "5", ["ID-BT"], 3, "Women workers in Banten"),
        ("local_knowledge", "", "", ["ID-JB"], 2, "Factory floors in West Java"),
        ("policy", SDG, "12", ["ID"], 2, "A national restricted-substances list"),
    ]),
}  # fmt: skip


def _register(admin: Person) -> None:
    for (
        name, acronym, org_type, iati_id, country, subdivisions, website, en, id_,
        capabilities,
    ) in REGISTRY:  # fmt: skip
        if Organisation.objects.filter(name=name).exists():
            continue
        organisation = registry.register_organisation(
            actor=admin,
            confirm_duplicate=True,
            name=name,
            acronym=acronym,
            org_type=org_type,
            iati_identifier=iati_id,
            country=country,
            subdivisions=subdivisions,
            website=website,
            description_en=en,
            description_id=id_,
        )
        for kind, vocabulary, code, regions, description in capabilities:
            add_capability(
                actor=admin,
                organisation=organisation,
                kind=kind,
                sector_vocabulary=vocabulary,
                sector_code=code,
                regions=regions,
                description=description,
            )


def _needs() -> None:
    for slug, (username, needs) in NEEDS.items():
        partnership = Partnership.objects.filter(slug=slug).first()
        coordinator = Person.objects.filter(username=username).first()
        if partnership is None or coordinator is None or partnership.needs.exists():
            continue
        for kind, vocabulary, code, regions, weight, note in needs:
            add_need(
                actor=coordinator,
                partnership=partnership,
                kind=kind,
                sector_vocabulary=vocabulary,
                sector_code=code,
                regions=regions,
                weight=weight,
                note=note,
            )


def seed() -> None:
    """Add the registry organisations and the two partnerships' needs (skips what exists)."""
    admin = Person.objects.filter(username="admin", is_staff=True).first()
    if admin is None:
        return
    _register(admin)
    _needs()
