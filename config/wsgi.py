import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Threads of one web process share the GIL, and a thread that has just run a SQLite
# statement waits for it before it can run the next one or commit, holding SQLite's
# one write lock all the while (every other writer, in every process, sleeps on
# busy_timeout meanwhile). Python's default 5 ms switch interval is several times a
# whole submit here; at 0.5 ms a lock holder gets the GIL back promptly.
sys.setswitchinterval(0.0005)
application = get_wsgi_application()
