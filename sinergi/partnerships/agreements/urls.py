"""Agreement pages, under /<lang>/partnerships/<slug>/."""

from django.urls import path

from sinergi.partnerships.agreements import views

urlpatterns = [
    path("agreement/", views.agreement, name="partnership-agreement"),
    path("agreement/draft/", views.draft, name="agreement-draft"),
    path("agreement/diff/", views.diff, name="agreement-diff"),
    path("agreement/v<id:number>/", views.version_detail, name="agreement-version"),
    path("agreement/v<id:number>/open/", views.open_version, name="agreement-open"),
    path("agreement/v<id:number>/adopt/", views.adopt, name="agreement-adopt"),
    path(
        "agreement/v<id:number>/sign/<slug:organisation>/",
        views.sign,
        name="agreement-sign",
    ),
]
