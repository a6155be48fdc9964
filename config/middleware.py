"""The dashboard's middleware, stepped over by /v1 requests.

Sessions, CSRF cookies, signed-in users, flash messages, HTMX details, static files and
the Content-Security-Policy are for pages a browser shows. A /v1 request authenticates
by API key and gets JSON, so none of them has anything to do there, yet together they
cost more CPU than the submit view's own SQL. Each class below is the package's own
middleware (a subclass, so Django's and the packages' checks still find it) that hands
/v1 requests straight to the next layer.

Kept on /v1 (listed in settings as they are): ``ApiErrorMiddleware`` (envelope, trace
id, rate headers, 503 on outages), ``SecurityMiddleware`` (HTTPS redirect, HSTS and the
other security headers), ``CommonMiddleware`` (the Host check), ``XFrameOptionsMiddleware``,
and ``CsrfViewMiddleware`` and django-axes, whose checks (``check --deploy``, axes.W002)
look for their own class names in the list; on /v1, where every view is ``csrf_exempt``
and nobody signs in, they cost little.
"""

from __future__ import annotations

import csp.middleware
import django.contrib.auth.middleware
import django.contrib.messages.middleware
import django.contrib.sessions.middleware
import django_htmx.middleware
import whitenoise.middleware

from jobs.api.middleware import is_api_request


class DashboardOnly:
    def __call__(self, request):
        if is_api_request(request):
            return self.get_response(request)
        return super().__call__(request)


class WhiteNoiseMiddleware(DashboardOnly, whitenoise.middleware.WhiteNoiseMiddleware):
    pass


class SessionMiddleware(DashboardOnly, django.contrib.sessions.middleware.SessionMiddleware):
    pass


class AuthenticationMiddleware(DashboardOnly,
                               django.contrib.auth.middleware.AuthenticationMiddleware):
    pass


class MessageMiddleware(DashboardOnly, django.contrib.messages.middleware.MessageMiddleware):
    pass


class HtmxMiddleware(DashboardOnly, django_htmx.middleware.HtmxMiddleware):
    pass


class CSPMiddleware(DashboardOnly, csp.middleware.CSPMiddleware):
    pass
