from django.urls import path

from sinergi.partners.matching import views

# Under /<lang>/partnerships/<slug>/ (see sinergi/partnerships/urls.py).
urlpatterns = [
    path("matching/", views.partnership_matching, name="partnership-matching"),
    path(
        "matching/recommendations/",
        views.matching_recommendations,
        name="partnership-recommendations",
    ),
    path("matching/team/", views.matching_team, name="partnership-team"),
]
