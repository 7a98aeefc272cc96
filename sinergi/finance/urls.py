"""Finance pages, under /<lang>/partnerships/<slug>/finance/."""

urlpatterns: list = []
