from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig as StaticFilesAppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default = True
    name = "sinergi.core"
    verbose_name = _("Sinergi")


class StaticFilesConfig(StaticFilesAppConfig):
    """Django's static files, minus what the django-chartjs package ships besides
    Chart.js (Highcharts, which is not open source, and an old canvas shim for IE8)."""

    default = False
    ignore_patterns = [*StaticFilesAppConfig.ignore_patterns, "highcharts", "excanvas.js"]
