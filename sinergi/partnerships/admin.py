"""Admin for partnerships. Staff pass every check of the permission policy, so the
admin's changes are limited to platform staff by Django's own staff requirement."""

from django.contrib import admin

from sinergi.partnerships.models import Membership, Participation, Partnership


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    autocomplete_fields = ["organisation"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "activity_status", "visibility", "start_date", "end_date"]
    list_filter = ["visibility", "activity_status"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ParticipationInline, MembershipInline]


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["partnership", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["partnership", "organisation"]
    autocomplete_fields = ["partnership", "organisation"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["partnership", "person", "role"]
    list_filter = ["role"]
    list_select_related = ["partnership", "person"]
    autocomplete_fields = ["partnership", "person"]
