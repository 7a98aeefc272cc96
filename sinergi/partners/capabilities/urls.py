"""Capability pages, under /<lang>/organisations/<slug>/."""

from django.urls import path

from sinergi.partners.capabilities import views

urlpatterns = [
    path("capabilities/", views.capability_list, name="capability-list"),
    path("capabilities/add/", views.capability_add, name="capability-add"),
    path("capabilities/<id:pk>/edit/", views.capability_edit, name="capability-edit"),
    path("capabilities/<id:pk>/delete/", views.capability_delete, name="capability-delete"),
]
