"""The WSGI application, for gunicorn and any WSGI server."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")

application = get_wsgi_application()
# Everything loaded so far lives as long as the process: moving it out of the collector's
# reach keeps full collections (tens of milliseconds on a loaded app) off the requests.
gc.freeze()
