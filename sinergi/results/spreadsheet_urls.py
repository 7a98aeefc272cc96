"""The spreadsheet round trip, under /<lang>/partnerships/<slug>/results/spreadsheet/."""

from django.urls import path

from sinergi.results import spreadsheet_views

urlpatterns: list = [
    path("", spreadsheet_views.spreadsheet_page, name="results-spreadsheet"),
    path("confirm/", spreadsheet_views.spreadsheet_confirm, name="results-spreadsheet-confirm"),
    path(
        "template.xlsx",
        spreadsheet_views.spreadsheet_template,
        name="results-spreadsheet-template",
    ),
]
