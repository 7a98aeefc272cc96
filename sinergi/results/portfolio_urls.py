"""The portfolio across partnerships, under /<lang>/results/."""

urlpatterns: list = []
