"""Admin for organisations and people.

Deleting a person takes their partnership memberships away: each is revoked through the
partnerships service first, on the transparency ledger in the same transaction (never
by the database's cascade alone). A person who is a partnership's last coordinator is
shown as protected instead: the admin refuses to delete them until another coordinator
is appointed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sinergi.partners.models import Organisation, Person
from sinergi.partnerships import services


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "org_type", "country", "iati_identifier"]
    list_filter = ["org_type", "country"]
    search_fields = ["name", "acronym", "iati_identifier"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "organisation", "is_staff"]
    list_filter = [*UserAdmin.list_filter, "is_organisation_admin"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Organisation"), {"fields": ["organisation", "is_organisation_admin", "job_title"]}),
    ]

    def get_deleted_objects(
        self, objs: Sequence[Person] | QuerySet[Person], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for membership in services.leaving_without_coordinator(objs):
            protected.append(
                gettext(
                    "Membership: %(person)s, the last coordinator of %(partnership)s "
                    "(appoint another coordinator first)"
                )
                % {"person": membership.person, "partnership": membership.partnership}
            )
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Person) -> None:
        with transaction.atomic():
            services.revoke_all_memberships(actor=request.user, person=obj, reason="person.deleted")
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Person]) -> None:
        with transaction.atomic():
            for person in queryset:
                services.revoke_all_memberships(
                    actor=request.user, person=person, reason="person.deleted"
                )
            super().delete_queryset(request, queryset)
