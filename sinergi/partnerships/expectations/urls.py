from django.urls import path

from sinergi.partnerships.expectations import views

urlpatterns = [
    path("expectations/", views.alignment_page, name="partnership-alignment"),
    path(
        "expectations/<int:pk>/",
        views.participation_expectations,
        name="participation-expectations",
    ),
    path("expectations/<int:pk>/add/", views.expectation_add, name="expectation-add"),
    path("expectations/<int:pk>/<int:eid>/", views.expectation_row, name="expectation-row"),
    path("expectations/<int:pk>/<int:eid>/edit/", views.expectation_edit, name="expectation-edit"),
    path(
        "expectations/<int:pk>/<int:eid>/remove/",
        views.expectation_remove,
        name="expectation-remove",
    ),
]
