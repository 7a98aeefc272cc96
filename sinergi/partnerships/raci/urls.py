"""RACI pages, under /<lang>/partnerships/<slug>/."""

from django.urls import path

from sinergi.partnerships.raci import views

urlpatterns = [
    path("raci/", views.raci_page, name="partnership-raci"),
    path("raci/cell/", views.raci_cell, name="partnership-raci-cell"),
    path("raci/edit/", views.raci_matrix_edit, name="partnership-raci-edit"),
    path("raci/export.csv", views.raci_export_csv, name="partnership-raci-csv"),
    path("raci/export.xlsx", views.raci_export_xlsx, name="partnership-raci-xlsx"),
    path(
        "raci/work-packages/<id:pk>/edit/",
        views.work_package_edit,
        name="work-package-edit",
    ),
    path(
        "raci/work-packages/<id:pk>/delete/",
        views.work_package_delete,
        name="work-package-delete",
    ),
]
