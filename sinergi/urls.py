"""URL map: pages under a language prefix (/en/, /id/), the API and admin outside it."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, register_converter

from sinergi.api import api
from sinergi.core import views as core_views
from sinergi.core.converters import IdConverter
from sinergi.ledger import views as ledger_views

# Before the apps' URL modules are read: their paths take `<id:pk>`.
register_converter(IdConverter, "id")

admin.site.site_header = "Sinergi"
admin.site.site_title = "Sinergi"

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("healthz", core_views.healthz, name="healthz"),
    # For clients that ask for the icon without reading the page's <link rel="icon">.
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("ledger/checkpoint", ledger_views.checkpoint_text, name="ledger-checkpoint"),
    path("ledger/vkey", ledger_views.vkey_text, name="ledger-vkey"),
    path("ledger/sinergi-ledger.pyz", ledger_views.tool, name="ledger-tool"),
]

urlpatterns += i18n_patterns(
    path("", core_views.home, name="home"),
    path("waiting/", core_views.waiting, name="waiting"),
    path("admin/", admin.site.urls),
    path("accounts/", include("sinergi.access.urls")),
    path("organisations/", include("sinergi.partners.urls")),
    path("ledger/", ledger_views.about, name="ledger-about"),
    path(
        "partnerships/<slug:slug>/ledger/",
        ledger_views.partnership_ledger,
        name="partnership-ledger",
    ),
    path("partnerships/", include("sinergi.partnerships.urls")),
    path("sdg/", include("sinergi.partnerships.sdg.urls")),
    path("results/", include("sinergi.results.portfolio_urls")),
    prefix_default_language=True,
)

handler403 = "sinergi.core.views.permission_denied"
