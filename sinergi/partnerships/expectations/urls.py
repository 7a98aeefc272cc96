from django.urls import path

from sinergi.partnerships.expectations import views

urlpatterns = [
    path("expectations/", views.alignment_page, name="partnership-alignment"),
    path(
        "expectations/<id:pk>/",
        views.participation_expectations,
        name="participation-expectations",
    ),
    path("expectations/<id:pk>/add/", views.expectation_add, name="expectation-add"),
    path("expectations/<id:pk>/<id:eid>/", views.expectation_row, name="expectation-row"),
    path("expectations/<id:pk>/<id:eid>/edit/", views.expectation_edit, name="expectation-edit"),
    path(
        "expectations/<id:pk>/<id:eid>/remove/",
        views.expectation_remove,
        name="expectation-remove",
    ),
]
