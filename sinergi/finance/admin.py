"""Django admin for finance: read-mostly, since every change must go on the ledger."""

from django.contrib import admin

from sinergi.finance import models
from sinergi.ledger.admin import ReadOnlyAdmin


@admin.register(models.ExchangeRate)
class ExchangeRateAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "currency", "date", "rate", "source"]
    list_filter = ["currency"]


@admin.register(models.BudgetLine)
class BudgetLineAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "title", "period_start", "period_end", "amount", "revision"]


@admin.register(models.Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "organisation", "kind", "amount", "currency", "status"]
    list_filter = ["status", "kind"]


@admin.register(models.Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "partnership",
        "transaction_type",
        "value_date",
        "amount",
        "currency",
        "base_amount",
        "status",
    ]
    list_filter = ["transaction_type", "status", "kind"]
    date_hierarchy = "value_date"


@admin.register(models.ApprovalRule)
class ApprovalRuleAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "threshold", "required"]


@admin.register(models.Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["transaction", "person", "organisation", "decision", "at"]


@admin.register(models.TransactionDocument)
class TransactionDocumentAdmin(ReadOnlyAdmin):
    list_display = ["transaction", "name", "size", "sha256"]
