"""Exports of indicator data, under /<lang>/partnerships/<slug>/results/export/."""

urlpatterns: list = []
