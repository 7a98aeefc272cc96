"""Results pages, under /<lang>/partnerships/<slug>/results/."""

from django.urls import include, path

from sinergi.results import views

urlpatterns: list = [
    path("spreadsheet/", include("sinergi.results.spreadsheet_urls")),
    path("export/", include("sinergi.results.export_urls")),
    path("", views.dashboard, name="results-dashboard"),
    path("indicators/<id:pk>/", views.indicator, name="results-indicator"),
    path(
        "indicators/<id:pk>/values/<str:period>/",
        views.value_edit,
        name="results-value-edit",
    ),
    path("evidence/<id:pk>/", views.evidence, name="results-evidence"),
    path("reporting/", views.reporting, name="results-reporting"),
    path("review/", views.review, name="results-review"),
    path("review/<id:pk>/", views.review_decide, name="results-review-decide"),
    path("framework/", views.framework, name="results-framework"),
    path("framework/results/new/", views.result_edit, name="results-result-new"),
    path("framework/results/<id:pk>/", views.result_edit, name="results-result-edit"),
    path("framework/results/<id:pk>/delete/", views.result_delete, name="results-result-delete"),
    path("framework/indicators/new/", views.indicator_edit, name="results-indicator-new"),
    path("framework/indicators/<id:pk>/", views.indicator_edit, name="results-indicator-edit"),
    path(
        "framework/indicators/<id:pk>/delete/",
        views.indicator_delete,
        name="results-indicator-delete",
    ),
    path("framework/indicators/<id:pk>/targets/", views.targets, name="results-targets"),
    path("framework/dimensions/new/", views.dimension_new, name="results-dimension-new"),
    path("framework/periods/<id:pk>/closed/", views.period_closed, name="results-period-closed"),
]
