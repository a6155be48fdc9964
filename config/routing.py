"""Which requests the ASGI application (config/asgi.py) leaves to Django's own ASGI
handler: those that wait for a job to move, holding their connection open."""

from urllib.parse import parse_qsl

# The event streams: /v1/ops/jobs/<id>/stream (jobs.api.push), /jobs/<id>/events/ (the
# dashboard's, jobs.web.live).
STREAM_SUFFIXES = ("/stream", "/events/")


def waits(scope) -> bool:
    """An event stream, or a long-poll (``?wait=N`` on a job read)."""
    if scope["path"].endswith(STREAM_SUFFIXES):
        return True
    query = scope.get("query_string", b"")
    return b"wait" in query and any(
        name == "wait" for name, _value in parse_qsl(query.decode("latin-1"),
                                                      keep_blank_values=True))
