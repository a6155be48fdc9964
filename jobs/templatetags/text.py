"""``{% load text %}``: small text filters for result pages."""

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

# Dotted and colon-separated values (host names, IPv6, MX records) wrap after a dot or
# colon, never inside a label; IPv4 addresses stay whole.
_PIECE = re.compile(r"[^.:]+[.:]*|[.:]+")
_IPV4 = re.compile(r"^[0-9.]+$")


@register.filter(name="break_after_dots")
def break_after_dots(value) -> str:
    text = str(value)
    if _IPV4.match(text):
        return conditional_escape(text)
    return mark_safe("<wbr>".join(conditional_escape(p) for p in _PIECE.findall(text)))
