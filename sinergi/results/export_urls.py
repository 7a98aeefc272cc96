"""Exports of indicator data, under /<lang>/partnerships/<slug>/results/export/."""

from django.urls import path

from sinergi.results import export_views

urlpatterns: list = [
    path("indicator-data.csv", export_views.export_csv, name="results-export-csv"),
    path("indicator-data.xlsx", export_views.export_xlsx, name="results-export-xlsx"),
]
