"""The ASGI application ``bin/start`` serves: Django's own ASGI handler for the requests
that wait (event streams, ``?wait=`` long-polls), Django's WSGI handler on a pool of
long-lived threads for everything else.

Under Django's ASGI handler a synchronous view crosses between the event loop and a
thread of its own at every boundary between sync and async middleware, and each
request starts a thread; measured with wrk on two cores, a submit or a job read came to
a fifth or a quarter of what the same code serves over threaded WSGI. A request that
answers at once gains nothing from the event loop, so it runs as under a threaded WSGI
server (a2wsgi hands it to the pool); a request that waits keeps the event loop's
advantage: an open stream costs a coroutine, not a thread.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# On PostgreSQL, connections come from a pool per process (config/settings.py), shared by
# the threads below and the waiting requests' own.
os.environ.setdefault("DB_POOL_SIZE", "16")
if os.environ["DB_POOL_SIZE"] == "0":
    # Without the pool, Django's advice for ASGI: no persistent connections (a waiting
    # request's thread would keep its server connection until it is collected).
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

from config.routing import waits  # noqa: E402

django_asgi = get_asgi_application()
# The pool's threads live as long as the process: like a threaded WSGI server's, each
# keeps its SQLite connection (CONN_MAX_AGE) instead of opening one per request.
pooled = WSGIMiddleware(get_wsgi_application(), workers=settings.WEB_THREADS)


async def application(scope, receive, send):
    if scope["type"] == "http" and not waits(scope):
        return await pooled(scope, receive, send)
    return await django_asgi(scope, receive, send)
