"""The webhooks pages: endpoints, secrets shown once, deliveries and "send again"."""

import pytest
from django.utils import timezone

from jobs.models import Delivery, DeliveryAttempt, WebhookEndpoint
from jobs.push import services
from tests.factories import JobFactory, OrganizationFactory

EVENTS = ["job.completed", "job.failed"]


def endpoint_for(org, url="https://hooks.example.com/in"):
    return services.endpoint_create(organization=org, url=url)[0]


def delivery_for(endpoint, status="FAILED"):
    job = JobFactory(organization=endpoint.organization, status="COMPLETED")
    now = timezone.now()
    delivery = Delivery.objects.create(
        organization=endpoint.organization, job=job, endpoint=endpoint, url=endpoint.url,
        event="job.completed", status=status, attempts=1, retry_until=now)
    DeliveryAttempt.objects.create(delivery=delivery, status_code=500, outcome="HTTP 500",
                                   response_excerpt="upstream broke", duration_ms=12)
    return delivery


def test_empty_page(web):
    page = web.get("/webhooks/").content.decode()
    assert "No endpoints yet" in page and "Create callback secret" in page


def test_create_shows_the_secret_once(web, org):
    response = web.post("/webhooks/", {"url": "https://hooks.example.com/in", "events": EVENTS,
                                       "description": "SIEM", "enabled": "on"})
    endpoint = WebhookEndpoint.objects.get(organization=org)
    page = response.content.decode()
    assert endpoint.secret in page and response["Cache-Control"] == "no-store"
    assert endpoint.event_list == EVENTS
    assert endpoint.secret not in web.get("/webhooks/").content.decode()
    assert endpoint.secret not in web.get(f"/webhooks/{endpoint.pk}/").content.decode()


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "ftp://example.com/", "nope"])
def test_refused_urls_are_form_errors(web, org, url, settings):
    settings.ALLOWED_TARGET_NETWORKS = []
    response = web.post("/webhooks/", {"url": url, "events": EVENTS})
    assert response.status_code == 200 and "has-error" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotate_shows_the_new_secret_and_keeps_the_old_one_for_a_while(web, org):
    endpoint = endpoint_for(org)
    old = endpoint.secret
    response = web.post(f"/webhooks/{endpoint.pk}/rotate/", follow=True)
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.active_secrets() == [endpoint.secret, old]
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in web.get(f"/webhooks/{endpoint.pk}/").content.decode()


def test_callback_secret_create_then_rotate(web, org):
    first = web.post("/webhooks/callback-secret/", follow=True).content.decode()
    secret = org.callback_secret.secret
    assert secret in first
    web.post("/webhooks/callback-secret/")
    org.callback_secret.refresh_from_db()
    assert org.callback_secret.previous_secret == secret


def test_edit_and_reenable_forgets_the_failure(web, org):
    endpoint = endpoint_for(org)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_at=timezone.now(), disabled_reason="Failing for 24 h.",
        failing_since=timezone.now())
    web.post(f"/webhooks/{endpoint.pk}/", {"events": ["job.progress"], "enabled": "on"})
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None and not endpoint.disabled_reason
    assert endpoint.event_list == ["job.progress"]


def test_endpoint_page_lists_deliveries_and_tries(web, org):
    delivery = delivery_for(endpoint_for(org))
    page = web.get(f"/webhooks/{delivery.endpoint_id}/").content.decode()
    assert "HTTP 500" in page and "upstream broke" in page and "Send again" in page


def test_send_again(web, org, django_capture_on_commit_callbacks):
    delivery = delivery_for(endpoint_for(org, url="http://127.0.0.1:1/nothing-listens"))
    response = web.post(f"/webhooks/deliveries/{delivery.pk}/resend/",
                        {"next": f"/jobs/{delivery.job_id}/"})
    assert response.status_code == 302 and response["Location"] == f"/jobs/{delivery.job_id}/"
    delivery.refresh_from_db()
    assert delivery.status == "PENDING"


def test_job_page_shows_its_deliveries(web, org):
    delivery = delivery_for(endpoint_for(org))
    page = web.get(f"/jobs/{delivery.job_id}/").content.decode()
    assert "Webhook deliveries" in page and "HTTP 500" in page


def test_job_page_without_deliveries(web, org):
    job = JobFactory(organization=org, status="COMPLETED", result={"n": 1})
    assert "No webhook was sent for this job" in web.get(f"/jobs/{job.pk}/").content.decode()


def test_home_tells_about_a_disabled_endpoint(web, org):
    endpoint = endpoint_for(org)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_at=timezone.now(),
        disabled_reason="Every delivery failed for 24 hours, so it was turned off.")
    page = web.get("/").content.decode()
    assert "endpoint-disabled" in page and "failed for 24 hours" in page


def test_running_job_page_follows_its_stream(web, org):
    job = JobFactory(organization=org, status="PROCESSING")
    page = web.get(f"/jobs/{job.pk}/").content.decode()
    assert f'sse-connect="/jobs/{job.pk}/events/"' in page
    assert 'hx-trigger="every 2s"' in page  # polls until the stream takes over


@pytest.mark.django_db(transaction=True)  # the stream reads from other threads
def test_job_events_stream(web, org):
    from asgiref.sync import async_to_sync

    async def read(stream):
        return b"".join([chunk async for chunk in stream])

    job = JobFactory(organization=org, status="COMPLETED", result={"n": 1})
    response = web.get(f"/jobs/{job.pk}/events/")
    assert response["Content-Type"] == "text/event-stream"
    body = async_to_sync(read)(response.streaming_content).decode()
    assert body.startswith("event: update\ndata: ") and body.endswith("event: done\ndata: done\n\n")
    assert "every 2s" not in body


@pytest.mark.parametrize("path", ["/webhooks/{e}/", "/webhooks/{e}/rotate/",
                                  "/webhooks/{e}/delete/", "/webhooks/deliveries/{d}/resend/",
                                  "/jobs/{j}/events/"])
def test_another_organizations_objects_are_404(web, path):
    other = OrganizationFactory(name="globex")
    delivery = delivery_for(endpoint_for(other))
    url = path.format(e=delivery.endpoint_id, d=delivery.pk, j=delivery.job_id)
    response = web.post(url) if "rotate" in url or "delete" in url or "resend" in url \
        else web.get(url)
    assert response.status_code == 404
    assert WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).exists()
