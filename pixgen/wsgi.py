import os

from django.core.wsgi import get_wsgi_application

from pixgen.gc_tuning import settle_after_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pixgen.settings.production")
application = get_wsgi_application()
settle_after_startup()
