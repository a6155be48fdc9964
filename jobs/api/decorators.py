"""Preconditions every /v1 view shares."""

from __future__ import annotations

from functools import wraps

from django.views.decorators.csrf import csrf_exempt

from jobs.api.errors import ApiError


def allow_methods(*methods: str):
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in allowed:
                raise ApiError(405, f"{request.method} is not allowed here; use "
                                    f"{', '.join(sorted(allowed))}.",
                               headers={"Allow": ", ".join(sorted(allowed))})
            return view(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator
