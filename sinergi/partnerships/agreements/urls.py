"""Agreement pages, under /<lang>/partnerships/<slug>/."""

from django.urls import path

from sinergi.partnerships.agreements import views

urlpatterns = [
    path("agreement/", views.agreement, name="partnership-agreement"),
    path("agreement/draft/", views.draft, name="agreement-draft"),
    path("agreement/diff/", views.diff, name="agreement-diff"),
    path("agreement/v<int:number>/", views.version_detail, name="agreement-version"),
    path("agreement/v<int:number>/open/", views.open_version, name="agreement-open"),
    path("agreement/v<int:number>/adopt/", views.adopt, name="agreement-adopt"),
    path(
        "agreement/v<int:number>/sign/<slug:organisation>/",
        views.sign,
        name="agreement-sign",
    ),
]
