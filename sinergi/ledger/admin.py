"""Admin for the ledger: history is read-only; staff register partners' witnesses."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from sinergi.ledger.models import Checkpoint, Cosignature, Entry, Witness


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nothing on the log is edited or deleted by hand: corrections are new entries."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["index", "kind", "partnership_ref", "time"]
    list_filter = ["kind"]
    search_fields = ["=index", "kind"]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["size", "root_hash", "created_at"]

    @admin.display(description=_("root hash (base64)"))
    def root_hash(self, checkpoint: Checkpoint) -> str:
        return checkpoint.root_b64


@admin.register(Cosignature)
class CosignatureAdmin(ReadOnlyAdmin):
    list_display = ["checkpoint", "witness", "timestamp", "received_at"]
    list_select_related = ["checkpoint", "witness"]


@admin.register(Witness)
class WitnessAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "created_at"]
    autocomplete_fields = ["organisation"]
    search_fields = ["name"]
