from django.urls import path, re_path

from sinergi.partnerships.sdg import views

urlpatterns = [
    path("", views.sdg_index, name="sdg-index"),
    path("target-options/", views.target_options, name="sdg-target-options"),
    re_path(r"^(?P<code>[0-9]{1,2})/$", views.sdg_goal, name="sdg-goal"),
]
