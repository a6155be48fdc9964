import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django's advice for ASGI: no persistent database connections (each request runs in a
# thread of its own and would keep one open until CONN_MAX_AGE); see config/settings.py.
os.environ.setdefault("DB_CONN_MAX_AGE", "0")
# On PostgreSQL, connections come from a pool per process instead (config/settings.py).
os.environ.setdefault("DB_POOL_SIZE", "16")
application = get_asgi_application()
