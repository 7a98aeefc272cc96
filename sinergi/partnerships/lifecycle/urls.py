from django.urls import path

from sinergi.partnerships.lifecycle import views

urlpatterns = [
    path("lifecycle/", views.lifecycle_page, name="partnership-lifecycle"),
    path("lifecycle/advance/", views.lifecycle_advance, name="lifecycle-advance"),
    path("lifecycle/stage/", views.lifecycle_move_back, name="lifecycle-stage"),
]
