"""Partnerships, the organisations that take part in them, and people's roles."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sinergi.codelists import ACTIVITY_STATUSES, ORGANISATION_ROLES
from sinergi.core.choices import display_of
from sinergi.core.geography import (
    country_names,
    subdivision_names,
    validate_country_list,
    validate_currency,
    validate_subdivisions,
)
from sinergi.partners.models import Organisation


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


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
        indexes = [models.Index(fields=["visibility", "title"])]

    get_activity_status_display = display_of("activity_status", ACTIVITY_STATUSES)
    get_visibility_display = display_of("visibility", Visibility.choices)

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnership-detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
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
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)

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
