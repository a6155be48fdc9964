"""Webhook deliveries against a receiver on loopback, signatures checked with the
standardwebhooks package; time is passed in, never slept through."""

import json
import random
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from jobs import lifecycle
from jobs.api import whisper
from jobs.models import Delivery, Job, JobStatus
from jobs.push import send, services
from jobs.push.models import DeliveryStatus, JobCallback
from tests.factories import OrganizationFactory
from tests.push.helpers import complete, running_job

pytestmark = pytest.mark.usefixtures("loopback_allowed")


def verify(secret, request):
    return Webhook(secret).verify(request.body, request.headers)


@pytest.fixture
def endpoint(org, receiver):
    endpoint, secret = services.endpoint_create(organization=org, url=receiver.url)
    endpoint.raw_secret = secret
    return endpoint


def sweep(now=None):
    return send.deliveries_sweep(now=now or timezone.now(), rng=random.Random(1))


def test_completed_job_is_delivered_signed(org, endpoint, receiver,
                                           django_capture_on_commit_callbacks):
    job = running_job(org)
    with django_capture_on_commit_callbacks(execute=True):
        complete(job)
    [request] = receiver.wait(1)
    body = verify(endpoint.raw_secret, request)
    job.refresh_from_db()
    assert body == {**whisper.job_summary(job), "statusUrl": f"/v1/ops/jobs/{job.pk}"}
    assert request.headers["webhook-event"] == "job.completed"
    delivery = Delivery.objects.get(job=job)
    assert request.headers["webhook-id"] == delivery.message_id
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    [attempt] = delivery.tries.all()
    assert attempt.status_code == 200 and attempt.response_excerpt == "thanks!"
    with pytest.raises(WebhookVerificationError):
        Webhook(services.signing.secret_new()).verify(request.body, request.headers)


def test_failed_and_cancelled_events_and_unsubscribed_ones(org, receiver):
    services.endpoint_create(organization=org, url=receiver.url, events=["job.failed"])
    failed, cancelled = running_job(org), running_job(org)
    lifecycle.job_fail(job_id=failed.pk, worker="w", code="X", message="boom")
    lifecycle.job_cancel(job_id=cancelled.pk, organization=org)
    assert list(Delivery.objects.values_list("job_id", "event")) == [(failed.pk, "job.failed")]


def test_deliveries_go_to_this_organizations_enabled_subscribed_endpoints_and_callback(
        org, receiver):
    other_org = OrganizationFactory(name="globex")
    wanted, _ = services.endpoint_create(organization=org, url=f"{receiver.url}/a")
    services.endpoint_create(organization=org, url=f"{receiver.url}/progress-only",
                             events=["job.progress"])
    off, _ = services.endpoint_create(organization=org, url=f"{receiver.url}/off")
    services.endpoint_update(endpoint=off, events=off.event_list, enabled=False)
    services.endpoint_create(organization=other_org, url=f"{receiver.url}/globex")
    job, bystander = running_job(org), running_job(org)
    JobCallback.objects.create(job=job, url=f"{receiver.url}/callback")
    JobCallback.objects.create(job=bystander, url=f"{receiver.url}/not-this-one")
    complete(job)
    assert set(Delivery.objects.values_list("endpoint_id", "url", "organization_id")) == {
        (wanted.pk, f"{receiver.url}/a", org.pk), (None, f"{receiver.url}/callback", org.pk)}


def test_delivery_row_commits_with_the_move_and_a_sweep_sends_it(org, endpoint, receiver):
    # The "db" fixture never runs on-commit hooks: exactly a process that died after the
    # commit and before handing the delivery to a worker.
    job = running_job(org)
    complete(job)
    delivery = Delivery.objects.get(job=job)
    assert delivery.status == DeliveryStatus.PENDING and receiver.requests == []
    assert sweep() == 1
    assert receiver.wait(1) and Delivery.objects.get(pk=delivery.pk).status == "DELIVERED"
    assert sweep() == 0  # sent once


def test_no_delivery_when_the_move_rolls_back(org, endpoint):
    from django.db import transaction

    job = running_job(org)
    with pytest.raises(RuntimeError), transaction.atomic():
        complete(job)
        raise RuntimeError("the process died mid-commit")
    assert not Delivery.objects.exists()
    assert Job.objects.get(pk=job.pk).status == JobStatus.PROCESSING


def test_retried_after_500_until_delivered(org, endpoint, receiver):
    receiver.answer((500, {}, 0), (200, {}, 0))
    complete(running_job(org))
    now = timezone.now()
    sweep(now)
    delivery = Delivery.objects.get()
    assert delivery.status == "PENDING" and delivery.attempts == 1
    assert now + timedelta(seconds=5) <= delivery.next_attempt_at <= now + timedelta(seconds=10)
    assert sweep(now) == 0  # not due yet
    sweep(now + timedelta(seconds=11))
    delivery.refresh_from_db()
    assert delivery.status == "DELIVERED" and delivery.attempts == 2
    assert [a.status_code for a in delivery.tries.order_by("at")] == [500, 200]
    assert [verify(endpoint.raw_secret, r)["jobId"] for r in receiver.requests] == [
        str(delivery.job_id)] * 2
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1


def test_429_honours_retry_after(org, endpoint, receiver):
    receiver.answer((429, {"Retry-After": "600"}, 0))
    complete(running_job(org))
    now = timezone.now()
    sweep(now)
    delivery = Delivery.objects.get()
    assert delivery.next_attempt_at >= now + timedelta(seconds=600)
    assert delivery.tries.get().will_retry


def test_timeout_is_retried(org, endpoint, receiver):
    receiver.answer((200, {}, 2.0))  # slower than WEBHOOK_TIMEOUT_SECONDS = 1
    complete(running_job(org))
    sweep()
    delivery = Delivery.objects.get()
    attempt = delivery.tries.get()
    assert "timed out" in attempt.outcome and attempt.status_code is None
    assert delivery.status == "PENDING" and attempt.will_retry


@pytest.mark.parametrize("status", [400, 404, 410, 302])
def test_other_4xx_and_redirects_are_not_retried(org, endpoint, receiver, status):
    receiver.answer((status, {"Location": "http://127.0.0.1:1/elsewhere"}, 0))
    complete(running_job(org))
    sweep()
    delivery = Delivery.objects.get()
    assert delivery.status == "FAILED" and delivery.attempts == 1
    assert not delivery.tries.get().will_retry
    assert len(receiver.requests) == 1  # a redirect is not followed


def test_gives_up_after_24_hours(org, endpoint, receiver):
    receiver.answer((503, {}, 0))
    complete(running_job(org))
    start = timezone.now()
    sweep(start)
    for hours in (1, 6, 12, 23):
        sweep(start + timedelta(hours=hours))
    delivery = Delivery.objects.get()
    assert delivery.status == "PENDING"
    sweep(start + timedelta(hours=24, minutes=30))
    delivery.refresh_from_db()
    assert delivery.status == "FAILED"
    assert not delivery.tries.order_by("-at").first().will_retry


def test_endpoint_failing_for_24_hours_is_disabled(org, endpoint, receiver):
    receiver.answer((500, {}, 0))
    complete(running_job(org))
    start = timezone.now()
    sweep(start)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since == start
    complete(running_job(org))
    sweep(start + timedelta(hours=24, minutes=1))
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason
    assert not Delivery.objects.filter(status="PENDING").exists()
    # No new deliveries to a disabled endpoint.
    complete(running_job(org))
    assert Delivery.objects.count() == 2


def test_a_success_resets_the_failing_clock(org, endpoint, receiver):
    receiver.answer((500, {}, 0), (200, {}, 0))
    complete(running_job(org))
    start = timezone.now()
    sweep(start)
    sweep(start + timedelta(minutes=1))
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None


def test_send_again(org, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.answer((400, {}, 0), (200, {}, 0))
    complete(running_job(org))
    sweep()
    delivery = Delivery.objects.get()
    assert delivery.status == "FAILED"
    with django_capture_on_commit_callbacks(execute=True):
        send.delivery_resend(delivery)
    delivery.refresh_from_db()
    assert delivery.status == "DELIVERED" and delivery.attempts == 2
    first, second = receiver.requests
    assert first.body == second.body and first.headers["webhook-id"] == second.headers[
        "webhook-id"]


def test_rotation_signs_with_both_secrets_during_the_overlap(org, endpoint, receiver):
    old = endpoint.raw_secret
    new = services.secret_rotate(endpoint)
    complete(running_job(org))
    sweep()
    [request] = receiver.wait(1)
    assert len(request.headers["webhook-signature"].split()) == 2
    verify(old, request), verify(new, request)
    endpoint.refresh_from_db()
    assert endpoint.active_secrets(timezone.now() + timedelta(hours=25)) == [new]


def test_progress_is_opt_in_and_coalesced(org, endpoint, receiver):
    services.endpoint_create(organization=org, url=receiver.url + "?p",
                             events=["job.progress"])
    job = running_job(org)
    for step in range(3):
        lifecycle.job_report_progress(job_id=job.pk, worker="w", current=step, total=3,
                                      message=f"step {step}")
    [delivery] = Delivery.objects.filter(event="job.progress")
    assert delivery.endpoint.url.endswith("?p")
    sweep()
    body = json.loads(receiver.wait(1)[0].body)
    assert body["status"] == "PROCESSING" and body["progress"]["current"] == 2


def test_name_resolving_to_a_refused_address_is_a_logged_failure(org, dns_zone, settings,
                                                                  receiver):
    dns_zone.add("hooks.example.test", "A", "127.0.0.1")
    settings.ALLOWED_TARGET_NETWORKS = []
    port = receiver.server.server_address[1]
    services.endpoint_create(organization=org, url=f"http://hooks.example.test:{port}/hook")
    complete(running_job(org))
    sweep()
    delivery = Delivery.objects.get()
    attempt = delivery.tries.get()
    assert delivery.status == "FAILED" and "target policy" in attempt.outcome
    assert "127.0.0.1" in attempt.outcome and receiver.requests == []


def test_admin_creates_an_endpoint_and_shows_its_secret_once(admin_client, org):
    response = admin_client.post("/admin/jobs/webhookendpoint/add/", {
        "organization": org.pk, "url": "https://hooks.example.com/a",
        "events": "job.completed,job.failed", "enabled": "on"}, follow=True)
    endpoint = org.webhook_endpoints.get()
    assert endpoint.secret in response.content.decode()
    assert endpoint.event_list == ["job.completed", "job.failed"]
    page = admin_client.get(f"/admin/jobs/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret not in page.content.decode()
    assert admin_client.get("/admin/jobs/delivery/").status_code == 200
