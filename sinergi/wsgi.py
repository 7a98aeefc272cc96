"""WSGI entry point: `granian --interface wsgi sinergi.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinergi.settings")
application = get_wsgi_application()
