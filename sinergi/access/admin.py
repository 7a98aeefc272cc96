from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sinergi.access.models import ApiToken, Invitation


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "person", "hint", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["person"]
    readonly_fields = ["hint", "created_at", "last_used_at"]
    search_fields = ["name", "person__username"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A token's secret exists only at creation; people create their own on their page.
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request, _("%(count)d tokens revoked.") % {"count": count}, messages.SUCCESS
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "partnership", "role", "expires_at", "accepted_at"]
    list_select_related = ["organisation", "partnership"]
    readonly_fields = ["created_at", "accepted_at", "accepted_by"]
    search_fields = ["email"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
