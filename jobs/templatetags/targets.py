"""``{% load targets %}``: ``job.target|target`` gives a ``jobs.web.targets.TargetText``;
``templates/_target.html`` shows one."""

from django import template

from jobs.web.targets import TargetText, target_text

register = template.Library()


@register.filter(name="target")
def target(value) -> TargetText:
    return target_text(str(value or ""))
