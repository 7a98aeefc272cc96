from django.urls import include, path

from sinergi.partners import views

urlpatterns = [
    path("", views.organisation_list, name="organisation-list"),
    path("new/", views.organisation_create, name="organisation-create"),
    path("subdivisions/", views.subdivision_options, name="subdivision-options"),
    path("<slug:slug>/", views.organisation_detail, name="organisation-detail"),
    path("<slug:slug>/edit/", views.organisation_edit, name="organisation-edit"),
    path("<slug:slug>/delete/", views.organisation_delete, name="organisation-delete"),
    path(
        "<slug:slug>/participations/<id:pk>/confirm/",
        views.participation_confirm,
        name="participation-confirm",
    ),
    path(
        "<slug:slug>/participations/<id:pk>/decline/",
        views.participation_decline,
        name="participation-decline",
    ),
    path("<slug:slug>/", include("sinergi.partners.capabilities.urls")),
]
