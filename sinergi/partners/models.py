"""Organisations in the partner registry and the people who work for them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from sinergi.codelists import ORGANISATION_TYPES, SECTOR_CATEGORIES
from sinergi.core.choices import display_of
from sinergi.core.geography import (
    country_names,
    region_labels,
    subdivision_names,
    validate_country,
    validate_region_list,
    validate_subdivisions,
)

# The API's limit of each description, which the web form shares.
DESCRIPTION_MAX_LENGTH = 10_000


class Organisation(models.Model):
    """A government agency, company, NGO, civil-society group or other partner."""

    name = models.CharField(_("name"), max_length=200)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    slug = models.SlugField(_("short name in links"), max_length=80, unique=True)
    org_type = models.CharField(
        _("organisation type"),
        max_length=2,
        choices=ORGANISATION_TYPES,
        help_text=_("IATI OrganisationType code."),
    )
    iati_identifier = models.CharField(
        _("IATI organisation identifier"),
        max_length=100,
        blank=True,
        help_text=_("For example ID-KMK-0001 or XM-DAC-41122. Unique in the registry."),
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        validators=[validate_country],
        help_text=_("Where the organisation is based (ISO 3166-1)."),
    )
    subdivisions = models.JSONField(
        _("provinces and regions"),
        default=list,
        blank=True,
        help_text=_("Where it works inside that country (ISO 3166-2 codes)."),
    )
    website = models.URLField(_("website"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_id = models.TextField(_("description (Indonesian)"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["iati_identifier"],
                condition=~Q(iati_identifier=""),
                name="organisation_iati_identifier_unique",
                # "unique" makes full_clean() report it on the field, not as a non-field error.
                violation_error_code="unique",
                violation_error_message=_(
                    "An organisation with this IATI identifier is already registered."
                ),
            ),
        ]
        indexes = [models.Index(fields=["org_type", "name"]), models.Index(fields=["country"])]

    get_org_type_display = display_of("org_type", ORGANISATION_TYPES)

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def get_absolute_url(self) -> str:
        return reverse("organisation-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.country:
            try:
                validate_subdivisions(self.subdivisions, [self.country])
            except ValidationError as exc:
                raise ValidationError({"subdivisions": exc.messages}) from exc

    @property
    def description(self) -> str:
        """The description in the active language, falling back to the other one."""
        if get_language() == "id":
            return self.description_id or self.description_en
        return self.description_en or self.description_id

    @property
    def country_label(self) -> str:
        return country_names().get(self.country, self.country)

    @property
    def subdivision_labels(self) -> list[str]:
        names = subdivision_names()
        return [names.get(code, code) for code in self.subdivisions]

    @property
    def partner_group(self) -> str:
        return partner_group(self.org_type)


class PartnerGroup(models.TextChoices):
    """Broad kinds of partner, for diversity in matching and for comparing expectations."""

    GOVERNMENT = "government", _("Government")
    PRIVATE = "private", _("Private sector")
    NGO = "ngo", _("NGO or foundation")
    CIVIL_SOCIETY = "civil_society", _("Civil society and other")
    MULTILATERAL = "multilateral", _("Multilateral")
    ACADEMIC = "academic", _("Academia and research")


# IATI OrganisationType code → partner group.
PARTNER_GROUP_OF_TYPE: dict[str, str] = {
    "10": PartnerGroup.GOVERNMENT,
    "11": PartnerGroup.GOVERNMENT,
    "15": PartnerGroup.GOVERNMENT,
    "21": PartnerGroup.NGO,
    "22": PartnerGroup.NGO,
    "23": PartnerGroup.NGO,
    "24": PartnerGroup.NGO,
    "60": PartnerGroup.NGO,
    "30": PartnerGroup.PRIVATE,
    "70": PartnerGroup.PRIVATE,
    "71": PartnerGroup.PRIVATE,
    "72": PartnerGroup.PRIVATE,
    "73": PartnerGroup.PRIVATE,
    "40": PartnerGroup.MULTILATERAL,
    "80": PartnerGroup.ACADEMIC,
    "90": PartnerGroup.CIVIL_SOCIETY,
}


def partner_group(org_type: str) -> str:
    """The partner group of an IATI OrganisationType code (unknown codes: civil society/other)."""
    return PARTNER_GROUP_OF_TYPE.get(org_type, PartnerGroup.CIVIL_SOCIETY)


@deconstructible
class LatinUsernameValidator(ASCIIUsernameValidator):
    """A username of Latin letters (a to z, either case), digits and @/./+/-/_ only.

    Django's default takes any script's letters, and "sari" written with a Cyrillic a
    would sign ledger entries and show in member lists exactly as "sari" does."""

    message = _(
        "Use Latin letters (a to z), digits and @/./+/-/_ only: a name in "
        "another script can look just like someone else's."
    )


class Person(AbstractUser):
    """Someone who signs in to Sinergi, working for at most one organisation."""

    # Django's field with Latin letters only. Checked wherever a username is set (sign-up,
    # the admin's forms, createsuperuser); one stored before keeps working (`clean_fields`).
    # Its help is Sinergi's msgid, for Django's Indonesian says "or a little" ("atau
    # sedikit") where it means "or fewer".
    username_validator = LatinUsernameValidator()
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_(
            "Required. 150 characters or fewer. Latin letters (a to z), digits and @/./+/-/_ only."
        ),
        validators=[username_validator],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
    )
    is_organisation_admin = models.BooleanField(
        _("organisation admin"),
        default=False,
        help_text=_("May edit the organisation's profile and invite its people."),
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean_fields(self, exclude: Any = None) -> None:
        """Django's checks of each field; a username stored before usernames had to be
        Latin is checked only when changed, so its person can still be edited (say, made
        inactive) without a new name."""
        if self._username_kept_from_before():
            exclude = {*(exclude or ()), "username"}
        super().clean_fields(exclude=exclude)

    def _username_kept_from_before(self) -> bool:
        """Whether the username is refused by today's rule and is the one stored."""
        if self._state.adding or self.pk is None:
            return False
        try:
            self.username_validator(self.username)
        except ValidationError:
            return Person.objects.filter(pk=self.pk, username=self.username).exists()
        return False

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a new password (set_password, by the person, a reset link or staff)
        also revokes the person's API tokens: they outlive sessions, and a new password
        should end every way in that the old one opened."""
        new_password = self.pk is not None and self._password is not None
        super().save(*args, **kwargs)
        if new_password:
            from sinergi.access.services import revoke_all_api_tokens

            revoke_all_api_tokens(self)


class CapabilityKind(models.TextChoices):
    """What an organisation can bring to a partnership (its comparative advantage)."""

    FINANCE = "finance", _("Finance")
    TECHNICAL = "technical", _("Technical expertise")
    NETWORK = "network", _("Network")
    LOCAL_KNOWLEDGE = "local_knowledge", _("Local knowledge")
    IN_KIND = "in_kind", _("In-kind assets")
    POLICY = "policy", _("Policy influence")
    DATA_TECH = "data_tech", _("Data and technology")
    COMMUNITY = "community", _("Community mobilisation")


class SectorVocabulary(models.TextChoices):
    """The IATI SectorVocabulary codes Sinergi uses for capabilities and needs."""

    DAC = "2", _("OECD DAC sector (3 digit)")
    SDG_GOAL = "7", _("SDG goal")


def sector_label(vocabulary: str, code: str) -> str:
    """The display name of a sector code in its vocabulary (blank: any sector)."""
    if not code:
        return str(_("Any sector"))
    if vocabulary == SectorVocabulary.DAC:
        return str(dict(SECTOR_CATEGORIES).get(code, code))
    if vocabulary == SectorVocabulary.SDG_GOAL:
        from sinergi.partnerships import sdg

        goal = sdg.get(code)
        if goal is None:
            return code
        # Read in the active language each time ("TPB 3: …" on an Indonesian page).
        return gettext("SDG %(number)s: %(title)s") % {"number": code, "title": goal.title}
    return code


def validate_sector(vocabulary: str, code: str) -> None:
    """Raise a field error unless `code` exists in `vocabulary` (both blank is allowed)."""
    if not code and not vocabulary:
        return
    if vocabulary == SectorVocabulary.DAC:
        if code not in dict(SECTOR_CATEGORIES):
            message = _("“%(code)s” is not an OECD DAC sector category.") % {"code": code}
            raise ValidationError({"sector_code": message})
        return
    if vocabulary == SectorVocabulary.SDG_GOAL:
        if code not in {str(n) for n in range(1, 18)}:
            message = _("“%(code)s” is not an SDG goal (1 to 17).") % {"code": code}
            raise ValidationError({"sector_code": message})
        return
    raise ValidationError({"sector_vocabulary": _("Choose a sector vocabulary.")})


class Capability(models.Model):
    """One comparative advantage of an organisation: what it brings, where and in which sector."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="capabilities",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CapabilityKind.choices)
    sector_vocabulary = models.CharField(
        _("sector vocabulary"),
        max_length=2,
        choices=SectorVocabulary.choices,
        blank=True,
        help_text=_("IATI SectorVocabulary: OECD DAC sector or SDG goal. Leave empty for any."),
    )
    sector_code = models.CharField(_("sector"), max_length=10, blank=True)
    regions = models.JSONField(
        _("regions covered"),
        default=list,
        blank=True,
        validators=[validate_region_list],
        help_text=_("ISO 3166 countries or provinces. Leave empty for anywhere."),
    )
    description = models.TextField(_("description"), blank=True)
    evidence = models.TextField(
        _("evidence"), blank=True, help_text=_("Track record, references or links.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("capability")
        verbose_name_plural = _("capabilities")
        ordering = ["organisation_id", "kind", "pk"]
        indexes = [models.Index(fields=["kind", "sector_vocabulary", "sector_code"])]

    get_kind_display = display_of("kind", CapabilityKind.choices)

    def __str__(self) -> str:
        return f"{self.organisation} — {self.get_kind_display()}"

    def clean(self) -> None:
        validate_sector(self.sector_vocabulary, self.sector_code)

    @property
    def sector_label(self) -> str:
        return sector_label(self.sector_vocabulary, self.sector_code)

    @property
    def region_labels(self) -> list[str]:
        return region_labels(self.regions)


class CapabilityCoverage(models.Model):
    """The partner-matching index: one row per capability and region it covers.

    Derived from `Capability` (see `rows_for`) and rewritten by the capability services in
    the same transaction as the capability, so that matching is an indexed lookup by
    (kind, sector, region) instead of a scan of every capability's JSON regions.
    `sector` is "<vocabulary>:<code>" or "" for any sector; `region` is an ISO 3166
    country or subdivision code or "" for anywhere.
    """

    capability = models.ForeignKey(Capability, on_delete=models.CASCADE, related_name="coverage")
    # Indexed by coverage_places below (organisation first), which also serves the foreign key.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    org_type = models.CharField(max_length=2)
    kind = models.CharField(max_length=20)
    sector = models.CharField(max_length=13, blank=True)
    region = models.CharField(max_length=6, blank=True)
    # Partner group → the small number org_key carries.
    GROUP_CODES = {
        PartnerGroup.GOVERNMENT: 0,
        PartnerGroup.PRIVATE: 1,
        PartnerGroup.NGO: 2,
        PartnerGroup.CIVIL_SOCIETY: 3,
        PartnerGroup.MULTILATERAL: 4,
        PartnerGroup.ACADEMIC: 5,
    }
    # organisation id * 8 + its partner group's code, kept by the database itself (so it
    # follows org_type however that changes): matching reads one integer per row that
    # says both who covers a need and whether they would add a partner group.
    org_key = models.GeneratedField(
        expression=models.F("organisation") * 8
        + models.Case(
            *[
                models.When(
                    org_type__in=[
                        code for code, of in PARTNER_GROUP_OF_TYPE.items() if of == group
                    ],
                    then=models.Value(number),
                )
                for group, number in GROUP_CODES.items()
                if group != PartnerGroup.CIVIL_SOCIETY
            ],
            default=models.Value(GROUP_CODES[PartnerGroup.CIVIL_SOCIETY]),
        ),
        output_field=models.BigIntegerField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("capability coverage")
        verbose_name_plural = _("capability coverage")
        indexes = [
            # A need is one look-up here that never reads the table: the organisations
            # that cover it, with their partner group (org_key), from the index alone.
            models.Index(fields=["kind", "sector", "region", "org_key"], name="coverage_match"),
            # A need with neither sector nor region: each organisation once, in key order.
            models.Index(fields=["kind", "org_key"], name="coverage_kind"),
            # Where an organisation's capabilities apply (presence in a partnership's
            # regions), and every row of an organisation.
            models.Index(fields=["organisation", "region"], name="coverage_places"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.sector or '*'} {self.region or '*'}"

    @staticmethod
    def sector_key(vocabulary: str, code: str) -> str:
        return f"{vocabulary}:{code}" if code else ""

    @classmethod
    def rows_for(cls, capability: Capability, org_type: str) -> list[CapabilityCoverage]:
        """The index rows of one capability (unsaved)."""
        sector = cls.sector_key(capability.sector_vocabulary, capability.sector_code)
        return [
            cls(
                capability=capability,
                organisation_id=capability.organisation_id,
                org_type=org_type,
                kind=capability.kind,
                sector=sector,
                region=region,
            )
            for region in (capability.regions or [""])
        ]
