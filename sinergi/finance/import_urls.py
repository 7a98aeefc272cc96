"""Importing transactions from a spreadsheet, under /<lang>/partnerships/<slug>/finance/import/."""

from django.urls import path

from sinergi.finance import import_views

urlpatterns = [
    path("", import_views.import_page, name="finance-import"),
    path("confirm/", import_views.import_confirm, name="finance-import-confirm"),
    path(
        "template.csv",
        import_views.import_template,
        {"kind": "csv"},
        name="finance-import-template-csv",
    ),
    path(
        "template.xlsx",
        import_views.import_template,
        {"kind": "xlsx"},
        name="finance-import-template-xlsx",
    ),
]
