"""The portfolio across partnerships, under /<lang>/results/."""

from django.urls import path

from sinergi.results import views

urlpatterns: list = [
    path("", views.portfolio, name="results-portfolio"),
    path("goals/<str:goal>/", views.portfolio, name="results-portfolio-goal"),
]
