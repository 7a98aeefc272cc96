"""Partnerships, the organisations that take part in them, and people's roles."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sinergi.codelists import ACTIVITY_STATUSES, ORGANISATION_ROLES
from sinergi.core.choices import display_of
from sinergi.core.dates import check_in_range
from sinergi.core.geography import (
    country_names,
    subdivision_names,
    validate_country_list,
    validate_currency,
    validate_region_list,
    validate_subdivisions,
)
from sinergi.core.numbers import MAX_INTEGER
from sinergi.core.slugs import check_not_reserved, check_shape
from sinergi.partners.models import (
    CapabilityKind,
    Organisation,
    SectorVocabulary,
    validate_sector,
)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class Stage(models.TextChoices):
    """The partnering lifecycle (after the Partnering Initiative's partnering cycle)."""

    SCOPING = "scoping", _("Scoping")
    BUILDING = "building", _("Building")
    # A context of its own: "Implementing" is also an IATI organisation role (a partner).
    IMPLEMENTING = "implementing", pgettext_lazy("lifecycle stage", "Implementing")
    REVIEWING = "reviewing", _("Reviewing")
    SUSTAINING = "sustaining", _("Sustaining or moving on")


# The longest summary and shared vision, in characters: the API's limits and the web
# forms' (the columns themselves are unbounded), so that a text one of them saved is
# never refused by the other.
SUMMARY_MAX_LENGTH = 5_000
VISION_MAX_LENGTH = 10_000
# The API's limits of the other long texts, which the web forms share: a longer text saved
# through a form could not be sent back unchanged through the API.
WORK_PACKAGE_DESCRIPTION_MAX_LENGTH = 10_000
AGREEMENT_TEXT_MAX_LENGTH = 100_000
AGREEMENT_RULE_MAX_LENGTH = 10_000  # joining, leaving, dispute resolution, exit


def slug_taken_message() -> str:
    """The refusal of a short name in use, in any letter case: it says no more than that,
    for the partnership using it may be private."""
    return str(_("A partnership with this short name already exists."))


class Partnership(models.Model):
    """One multi-stakeholder partnership: its purpose, time frame and place."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("short name in links"), max_length=80, unique=True)
    summary = models.TextField(_("summary"), blank=True)
    vision = models.TextField(_("shared vision"), blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    activity_status = models.CharField(
        _("status"), max_length=1, choices=ACTIVITY_STATUSES, default="1"
    )
    base_currency = models.CharField(
        _("base currency"), max_length=3, default="IDR", validators=[validate_currency]
    )
    countries = models.JSONField(
        _("countries"), default=list, blank=True, validators=[validate_country_list]
    )
    regions = models.JSONField(_("provinces and regions"), default=list, blank=True)
    stage = models.CharField(
        _("lifecycle stage"), max_length=12, choices=Stage.choices, default=Stage.SCOPING
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=7,
        choices=Visibility.choices,
        default=Visibility.PRIVATE,
        help_text=_("Public partnerships are visible to everyone, private ones to members only."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    organisations = models.ManyToManyField(
        Organisation, through="Participation", related_name="partnerships"
    )

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="partnership_end_after_start",
                violation_error_message=_("The end date must not be before the start date."),
            ),
        ]
        indexes = [
            models.Index(fields=["visibility", "title"]),
            # The API list's version reads the latest update on every request.
            models.Index(fields=["updated_at"], name="partnership_updated"),
        ]

    get_activity_status_display = display_of("activity_status", ACTIVITY_STATUSES)
    get_visibility_display = display_of("visibility", Visibility.choices)
    get_stage_display = display_of("stage", Stage.choices)

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnership-detail", kwargs={"slug": self.slug})

    def _slug_is_new(self) -> bool:
        """Whether the short name is not the one stored (a new row's always is)."""
        if self._state.adding or self.pk is None:
            return True
        return not Partnership.objects.filter(pk=self.pk, slug=self.slug).exists()

    def clean(self) -> None:
        check_not_reserved(self.slug)
        if self._slug_is_new():
            # Only a new short name is checked: one given before these rules keeps working.
            check_shape(self.slug)
            others = Partnership.objects.filter(slug__iexact=self.slug).exclude(pk=self.pk)
            if others.exists():
                raise ValidationError({"slug": [slug_taken_message()]})
        check_in_range(self.start_date, "start_date")
        check_in_range(self.end_date, "end_date")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(
                {"end_date": _("The end date must not be before the start date.")}
            )
        if isinstance(self.countries, list):
            try:
                validate_subdivisions(self.regions, self.countries)
            except ValidationError as exc:
                raise ValidationError({"regions": exc.messages}) from exc

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def country_labels(self) -> list[str]:
        names = country_names()
        return [names.get(code, code) for code in self.countries]

    @property
    def region_labels(self) -> list[str]:
        names = subdivision_names()
        return [names.get(code, code) for code in self.regions]


class Participation(models.Model):
    """An organisation taking part in a partnership in one IATI organisation role."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="participations",
    )
    role = models.CharField(
        _("role"),
        max_length=1,
        choices=ORGANISATION_ROLES,
        help_text=_("IATI OrganisationRole: funding, accountable, extending or implementing."),
    )
    contribution = models.CharField(_("contribution"), max_length=300, blank=True)
    capabilities = models.ManyToManyField(
        "partners.Capability",
        verbose_name=_("capabilities it brings"),
        blank=True,
        related_name="participations",
        help_text=_("Which of the organisation's capabilities the contribution draws on."),
    )
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    # The organisation's own answer: set when one of its admins confirms that it takes
    # part (a coordinator may list any registered organisation). Empty: not yet confirmed.
    confirmed_at = models.DateTimeField(_("confirmed by the organisation"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["role", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation", "role"],
                name="participation_unique_role",
                violation_error_message=_("This organisation already takes part in this role."),
            ),
        ]

    get_role_display = display_of("role", ORGANISATION_ROLES)

    def __str__(self) -> str:
        return f"{self.organisation} — {self.get_role_display()}"


class MemberRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    MEMBER = "member", _("Member")
    OBSERVER = "observer", _("Observer")


class Membership(models.Model):
    """A person's role in one partnership."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=13, choices=MemberRole.choices)
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["role", "person__first_name", "person__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "person"],
                name="membership_one_role_per_person",
                violation_error_message=_("This person is already a member of the partnership."),
            ),
        ]
        indexes = [models.Index(fields=["person", "partnership", "role"])]

    get_role_display = display_of("role", MemberRole.choices)

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"


# ---------------------------------------------------------------- design: goals


def validate_sdg_targets(codes: object) -> None:
    """Each code must be an SDG target in the shipped framework, e.g. "3.b"."""
    from sinergi.partnerships import sdg

    sdg.validate_target_codes(codes)


class Goal(models.Model):
    """A SMART goal of the partnership, aligned to SDG targets."""

    partnership = models.ForeignKey(
        Partnership, verbose_name=_("partnership"), on_delete=models.CASCADE, related_name="goals"
    )
    title = models.CharField(_("what"), max_length=300)
    measure = models.CharField(
        _("how it is measured"), max_length=300, blank=True, help_text=_("The indicator.")
    )
    baseline_value = models.DecimalField(
        _("baseline"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    target_value = models.DecimalField(
        _("target value"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=40, blank=True, help_text=_("e.g. %, people"))
    target_date = models.DateField(_("target date"), null=True, blank=True)
    owner = models.ForeignKey(
        Organisation,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The partner that answers for this goal."),
    )
    sdg_targets = models.JSONField(
        _("SDG targets"),
        default=list,
        blank=True,
        validators=[validate_sdg_targets],
        help_text=_("Official target codes, e.g. 3.b"),
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, validators=[MaxValueValidator(MAX_INTEGER)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["partnership_id", "position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_measurable(self) -> bool:
        """SMART enough to track: a measure, a target value and a target date."""
        return bool(self.measure and self.target_value is not None and self.target_date)

    @property
    def sdg_goals(self) -> list[str]:
        """The SDG goal codes of the linked targets, in order, without repeats."""
        return list(dict.fromkeys(code.split(".")[0] for code in self.sdg_targets))


# ---------------------------------------------------------------- design: expectations


class Horizon(models.TextChoices):
    SHORT = "short", _("Short-term results")
    LONG = "long", _("Long-term impact")


class ExpectationTopic(models.TextChoices):
    """What a partner hopes to get out of the partnership."""

    SOCIAL_IMPACT = "social_impact", _("Social impact")
    FINANCIAL_RETURN = "financial_return", _("Financial return")
    REPUTATION = "reputation", _("Reputation and visibility")
    LEARNING = "learning", _("Learning and innovation")
    MARKET_ACCESS = "market_access", _("Market access")
    POLICY_CHANGE = "policy_change", _("Policy change")
    NETWORKS = "networks", _("Access to networks")
    RISK_SHARING = "risk_sharing", _("Shared risk and cost")
    CAPACITY = "capacity", _("Stronger own capacity")


class Expectation(models.Model):
    """What one partner wants from the partnership, and on what horizon."""

    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="expectations",
    )
    topic = models.CharField(_("topic"), max_length=20, choices=ExpectationTopic.choices)
    horizon = models.CharField(_("horizon"), max_length=5, choices=Horizon.choices)
    importance = models.PositiveSmallIntegerField(
        _("importance"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (nice to have) to 5 (essential)."),
    )
    description = models.TextField(_("what it wants"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("expectation")
        verbose_name_plural = _("expectations")
        ordering = ["participation_id", "-importance", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(importance__gte=1) & Q(importance__lte=5),
                name="expectation_importance_1_to_5",
            ),
        ]

    get_topic_display = display_of("topic", ExpectationTopic.choices)
    get_horizon_display = display_of("horizon", Horizon.choices)

    def __str__(self) -> str:
        return f"{self.get_topic_display()} ({self.get_horizon_display()})"


# ---------------------------------------------------------------- design: RACI


class WorkPackage(models.Model):
    """A work package or output that partners share responsibility for."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="work_packages",
    )
    code = models.CharField(_("code"), max_length=20, help_text=_("e.g. WP1 or Output 1.2"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    goal = models.ForeignKey(
        Goal,
        verbose_name=_("goal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_packages",
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, validators=[MaxValueValidator(MAX_INTEGER)]
    )

    class Meta:
        verbose_name = _("work package")
        verbose_name_plural = _("work packages")
        ordering = ["partnership_id", "position", "code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "code"],
                name="work_package_code_unique",
                violation_error_message=_("Another work package already has this code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Raci(models.TextChoices):
    RESPONSIBLE = "R", _("Responsible")
    ACCOUNTABLE = "A", _("Accountable")
    CONSULTED = "C", _("Consulted")
    INFORMED = "I", _("Informed")


class RaciAssignment(models.Model):
    """One cell of the RACI matrix: a partner's part in a work package."""

    work_package = models.ForeignKey(
        WorkPackage,
        verbose_name=_("work package"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="raci_assignments",
    )
    letter = models.CharField(_("responsibility"), max_length=1, choices=Raci.choices)

    class Meta:
        verbose_name = _("RACI assignment")
        verbose_name_plural = _("RACI assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["work_package", "organisation"],
                name="raci_one_letter_per_cell",
                violation_error_message=_("This partner already has a part in this work package."),
            ),
            models.UniqueConstraint(
                fields=["work_package"],
                condition=Q(letter="A"),
                name="raci_one_accountable",
                violation_error_message=_("A work package has exactly one Accountable partner."),
            ),
        ]

    get_letter_display = display_of("letter", Raci.choices)

    def __str__(self) -> str:
        return f"{self.work_package.code} / {self.organisation}: {self.letter}"


# ---------------------------------------------------------------- design: agreement


class DecisionRule(models.TextChoices):
    CONSENSUS = "consensus", _("Consensus (everyone agrees)")
    CONSENT = "consent", _("Consent (no one objects)")
    SIMPLE_MAJORITY = "simple_majority", _("Simple majority")
    QUALIFIED_MAJORITY = "qualified_majority", _("Qualified majority")


class MeetingCadence(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    TWICE_A_YEAR = "twice_a_year", _("Twice a year")
    YEARLY = "yearly", _("Yearly")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open for signature")
    ADOPTED = "adopted", _("Adopted")
    SUPERSEDED = "superseded", _("Superseded")


class AgreementVersion(models.Model):
    """One version of the partnering agreement: text plus the governance rules.

    A draft may be edited; once opened for signature its content is frozen and its
    `content_hash` (SHA-256 of the canonical content) is what partners sign. It is
    adopted when every partner organisation has signed it.
    """

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="agreement_versions",
    )
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    text = models.TextField(_("agreement text"), help_text=_("Markdown."))
    decision_rule = models.CharField(
        _("decision rule"), max_length=20, choices=DecisionRule.choices
    )
    majority_percent = models.PositiveSmallIntegerField(
        _("qualified majority (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(51), MaxValueValidator(100)],
        help_text=_("Only for a qualified majority, e.g. 67."),
    )
    meeting_cadence = models.CharField(
        _("meeting cadence"), max_length=15, choices=MeetingCadence.choices
    )
    joining = models.TextField(_("how partners join"), blank=True)
    leaving = models.TextField(_("how partners leave"), blank=True)
    dispute_resolution = models.TextField(_("dispute resolution"), blank=True)
    exit_strategy = models.TextField(_("exit"), blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    opened_at = models.DateTimeField(_("opened for signature"), null=True, blank=True)
    adopted_at = models.DateTimeField(_("adopted"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["partnership_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "number"],
                name="agreement_version_number_unique",
                violation_error_message=_("This version number is taken."),
            ),
        ]

    get_status_display = display_of("status", AgreementStatus.choices)
    get_decision_rule_display = display_of("decision_rule", DecisionRule.choices)
    get_meeting_cadence_display = display_of("meeting_cadence", MeetingCadence.choices)

    def __str__(self) -> str:
        return f"{self.partnership} — v{self.number}"

    def clean(self) -> None:
        errors = {}
        if isinstance(self.text, str) and self.text and not self.text.strip():
            # Spaces and line breaks only: as blank as an empty text (which the field
            # refuses itself), so such a draft is never opened for signature either.
            errors["text"] = self._meta.get_field("text").error_messages["blank"]
        if self.decision_rule == DecisionRule.QUALIFIED_MAJORITY and not self.majority_percent:
            errors["majority_percent"] = _("A qualified majority needs its percentage.")
        if self.decision_rule != DecisionRule.QUALIFIED_MAJORITY and self.majority_percent:
            errors["majority_percent"] = _("A percentage only applies to a qualified majority.")
        if errors:
            raise ValidationError(errors)


class AgreementSignature(models.Model):
    """A partner organisation's sign-off on one agreement version, by its authorised person."""

    version = models.ForeignKey(
        AgreementVersion,
        verbose_name=_("agreement version"),
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="agreement_signatures",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="agreement_signatures",
    )
    content_hash = models.CharField(_("content hash signed"), max_length=64)
    signed_at = models.DateTimeField(_("signed"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement signature")
        verbose_name_plural = _("agreement signatures")
        ordering = ["version_id", "signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "organisation"],
                name="agreement_one_signature_per_partner",
                violation_error_message=_("This partner has already signed this version."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.organisation}"


# ---------------------------------------------------------------- design: needs for matching


class CapabilityNeed(models.Model):
    """A capability the partnership needs, for partner matching."""

    partnership = models.ForeignKey(
        Partnership,
        verbose_name=_("partnership"),
        on_delete=models.CASCADE,
        related_name="needs",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CapabilityKind.choices)
    sector_vocabulary = models.CharField(
        _("sector vocabulary"), max_length=2, choices=SectorVocabulary.choices, blank=True
    )
    sector_code = models.CharField(_("sector"), max_length=10, blank=True)
    regions = models.JSONField(
        _("regions"),
        default=list,
        blank=True,
        validators=[validate_region_list],
        help_text=_("ISO 3166 countries or provinces. Leave empty for anywhere."),
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (useful) to 5 (critical)."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("capability need")
        verbose_name_plural = _("capability needs")
        ordering = ["partnership_id", "-weight", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=5), name="need_weight_1_to_5"
            ),
        ]

    get_kind_display = display_of("kind", CapabilityKind.choices)

    def __str__(self) -> str:
        return f"{self.partnership}: {self.get_kind_display()}"

    def clean(self) -> None:
        validate_sector(self.sector_vocabulary, self.sector_code)
