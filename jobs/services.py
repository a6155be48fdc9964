"""Organization, membership and API key services (jobs have theirs in lifecycle.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from jobs.models import ApiKey, Membership, Organization


def organization_get_or_create(*, name: str) -> Organization:
    org, _ = Organization.objects.get_or_create(name=name)
    return org


def api_key_create(*, organization: Organization, name: str, created_by=None) -> tuple[ApiKey, str]:
    """Create a key; the raw key is returned once and only its hash is kept."""
    raw, prefix, hashed = ApiKey.generate()
    key = ApiKey.objects.create(organization=organization, name=name, prefix=prefix,
                                hashed_key=hashed, created_by=created_by)
    return key, raw


def api_key_revoke(*, key: ApiKey) -> bool:
    return bool(ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True)
                .update(revoked_at=timezone.now()))


@transaction.atomic
def user_create_or_update(*, organization: Organization, username: str, password: str,
                          staff: bool = False):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    if staff:
        user.is_staff = user.is_superuser = True
    user.save()
    Membership.objects.get_or_create(user=user, organization=organization)
    return user
