"""Admin for partnerships. Staff pass every check of the permission policy, so the
admin's changes are limited to platform staff by Django's own staff requirement.

Partnerships, their partners and their members are governance: a change made here goes
on the transparency ledger in the same transaction, as one made through the product
does (`admin.added`, `admin.changed`, `admin.deleted`, naming the model, the row and the
fields changed)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import BaseModelFormSet, ModelForm
from django.http import HttpRequest

from sinergi.ledger.log import append as record
from sinergi.partnerships.models import Membership, Participation, Partnership


def _record(
    kind: str,
    obj: Model,
    request: HttpRequest,
    fields: list[str] | None = None,
    partnership: Partnership | None = None,
) -> None:
    if partnership is None:
        partnership = obj if isinstance(obj, Partnership) else obj.partnership
    payload: dict[str, Any] = {"model": obj._meta.model_name, "id": obj.pk, "name": str(obj)}
    if fields is not None:
        payload["fields"] = sorted(fields)
    record(kind, payload, partnership, request.user)


class LedgeredAdmin(admin.ModelAdmin):
    """Every add, change and deletion, inline rows included, appended to the ledger.

    The admin's change form, its inlines and its delete view run in one transaction
    (and the "delete selected" action too: `sinergi.core.admin`)."""

    def save_model(self, request: HttpRequest, obj: Model, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            _record("admin.added", obj, request)
        elif form.changed_data:
            _record("admin.changed", obj, request, form.changed_data)
            if "partnership" in form.changed_data and not isinstance(obj, Partnership):
                # Moved to another partnership: the one it left records it too.
                left = Partnership.objects.filter(pk=form.initial.get("partnership")).first()
                if left is not None:
                    _record("admin.changed", obj, request, form.changed_data, left)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseModelFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _record("admin.added", obj, request)
        for obj, fields in formset.changed_objects:
            _record("admin.changed", obj, request, fields)
        for obj in formset.deleted_objects:
            _record("admin.deleted", obj, request)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        _record("admin.deleted", obj, request)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            _record("admin.deleted", obj, request)
        super().delete_queryset(request, queryset)


class ParticipationInline(admin.TabularInline):
    model = Participation
    extra = 0
    autocomplete_fields = ["organisation"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["person"]


@admin.register(Partnership)
class PartnershipAdmin(LedgeredAdmin):
    list_display = ["title", "slug", "activity_status", "visibility", "start_date", "end_date"]
    list_filter = ["visibility", "activity_status"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ParticipationInline, MembershipInline]


@admin.register(Participation)
class ParticipationAdmin(LedgeredAdmin):
    list_display = ["partnership", "organisation", "role"]
    list_filter = ["role"]
    list_select_related = ["partnership", "organisation"]
    autocomplete_fields = ["partnership", "organisation"]


@admin.register(Membership)
class MembershipAdmin(LedgeredAdmin):
    list_display = ["partnership", "person", "role"]
    list_filter = ["role"]
    list_select_related = ["partnership", "person"]
    autocomplete_fields = ["partnership", "person"]
