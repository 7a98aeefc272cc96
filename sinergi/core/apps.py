from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "sinergi.core"
    verbose_name = _("Sinergi")

    def ready(self) -> None:
        from sinergi.core import checks  # noqa: F401  (registers them)
