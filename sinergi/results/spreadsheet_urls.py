"""The spreadsheet round trip, under /<lang>/partnerships/<slug>/results/spreadsheet/."""

urlpatterns: list = []
