from django.urls import include, path

from sinergi.partnerships import views

urlpatterns = [
    path("", views.partnership_list, name="partnership-list"),
    path("new/", views.partnership_create, name="partnership-create"),
    path("organisation-lookup/", views.organisation_lookup, name="organisation-lookup"),
    path("<slug:slug>/", views.partnership_detail, name="partnership-detail"),
    path("<slug:slug>/edit/", views.partnership_edit, name="partnership-edit"),
    path("<slug:slug>/delete/", views.partnership_delete, name="partnership-delete"),
    path("<slug:slug>/partners/", views.partnership_partners, name="partnership-partners"),
    path(
        "<slug:slug>/partners/<id:pk>/role/",
        views.participation_role,
        name="participation-role",
    ),
    path(
        "<slug:slug>/partners/<id:pk>/remove/",
        views.participation_remove,
        name="participation-remove",
    ),
    # The busiest pages first: Django tries the patterns in order.
    path("<slug:slug>/finance/", include("sinergi.finance.urls")),
    path("<slug:slug>/results/", include("sinergi.results.urls")),
    # Partnership design: one package per part, each with its own pages.
    path("<slug:slug>/", include("sinergi.partnerships.goals.urls")),
    path("<slug:slug>/", include("sinergi.partnerships.expectations.urls")),
    path("<slug:slug>/", include("sinergi.partnerships.raci.urls")),
    path("<slug:slug>/", include("sinergi.partnerships.agreements.urls")),
    path("<slug:slug>/", include("sinergi.partnerships.lifecycle.urls")),
    path("<slug:slug>/", include("sinergi.partnerships.needs.urls")),
    path("<slug:slug>/", include("sinergi.partners.matching.urls")),
    path("<slug:slug>/members/", views.partnership_members, name="partnership-members"),
    path("<slug:slug>/members/<id:pk>/role/", views.membership_role, name="membership-role"),
    path("<slug:slug>/members/<id:pk>/remove/", views.membership_remove, name="membership-remove"),
]
