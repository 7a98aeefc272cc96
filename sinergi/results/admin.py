"""Django admin for results: read-only, since every change goes through the services
(permission checks, the ledger and the progress roll-ups)."""

from django.contrib import admin

from sinergi.ledger.admin import ReadOnlyAdmin
from sinergi.results import models


@admin.register(models.Dimension)
class DimensionAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "code", "name", "kind", "exhaustive"]
    list_filter = ["kind"]


@admin.register(models.Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "type", "title", "parent"]
    list_filter = ["type"]
    search_fields = ["title"]


@admin.register(models.Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "code", "title", "measure", "frequency", "responsible"]
    list_filter = ["measure", "frequency", "accumulation"]
    search_fields = ["code", "title"]


@admin.register(models.Period)
class PeriodAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "frequency", "start", "end", "due", "closed"]
    list_filter = ["frequency", "closed"]


@admin.register(models.Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "period", "category", "value"]


@admin.register(models.Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "period", "organisation", "revision", "status", "is_current"]
    list_filter = ["status", "is_current"]


@admin.register(models.SubmissionValue)
class SubmissionValueAdmin(ReadOnlyAdmin):
    list_display = ["submission", "category", "value"]


@admin.register(models.Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ["submission", "name", "size", "sha256"]


@admin.register(models.Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ["submission", "name", "latitude", "longitude", "subdivision"]


@admin.register(models.IndicatorStatus)
class IndicatorStatusAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "partnership", "progress", "percent_to_date", "trend"]
    list_filter = ["progress", "trend"]


@admin.register(models.SdgProgress)
class SdgProgressAdmin(ReadOnlyAdmin):
    list_display = ["partnership", "target", "indicators", "on_track", "at_risk", "off_track"]
    list_filter = ["goal"]
