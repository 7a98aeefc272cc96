from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from sinergi.partners.models import Organisation, Person


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
