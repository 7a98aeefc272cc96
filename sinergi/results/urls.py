"""Results pages, under /<lang>/partnerships/<slug>/results/."""

from django.urls import include, path

urlpatterns: list = [
    path("spreadsheet/", include("sinergi.results.spreadsheet_urls")),
    path("export/", include("sinergi.results.export_urls")),
]
