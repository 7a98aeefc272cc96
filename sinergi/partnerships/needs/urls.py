from django.urls import path

from sinergi.partnerships.needs import views

# Under /<lang>/partnerships/<slug>/ (see sinergi/partnerships/urls.py); the needs are
# shown and edited on the matching page (sinergi/partners/matching/urls.py).
urlpatterns = [
    path("matching/needs/", views.need_create, name="need-create"),
    path("matching/needs/<id:pk>/", views.need_edit, name="need-edit"),
    path("matching/needs/<id:pk>/delete/", views.need_delete, name="need-delete"),
]
