"""Starting jobs from forms built out of each operation's parameter schema."""

import json
from typing import Literal

import pytest
from django.http import QueryDict
from django.test import Client
from django.urls import reverse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from jobs.models import Job, JobStatus
from jobs.web.forms import MISSING, OperationForm, label_for, walk
from tests.factories import JobFactory


def test_operation_index_lists_every_type(web):
    html = web.get(reverse("job-new-index")).content.decode()
    for job_type in ["test_sleep", "test_fail", "test_noop", "test_crash"]:
        assert f'href="{reverse("job-new", args=[job_type])}"' in html
    assert "A slow operation: sleeps in steps" in html  # the module's description


def test_form_for_an_operation(web):
    response = web.get(reverse("job-new", args=["test_sleep"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>New test sleep · SecOps Jobs</title>" in html
    assert '<label for="field-seconds">Seconds</label>' in html
    assert ('<input type="number" id="field-steps" name="steps" value="5" step="1" min="1" '
            'max="1000" aria-describedby="field-steps-help">') in html
    assert '<p class="help" id="field-steps-help">From 1 to 1000.</p>' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "novalidate" in html


def test_unknown_operation_is_404(web):
    assert web.get(reverse("job-new", args=["nope"])).status_code == 404


def test_submit_starts_the_job_and_goes_to_it(web, member):
    response = web.post(reverse("job-new", args=["test_sleep"]),
                        {"seconds": "0", "steps": "2", "target": " example.org "})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    assert job.params == {"seconds": 0.0, "steps": 2, "target": "example.org"}
    assert job.target == "example.org"
    assert (job.user, job.username, job.metadata) == (member, "alice", {"source": "dashboard"})
    assert "Test sleep started." in web.get(response["Location"]).content.decode()


def test_validation_messages_are_the_apis(web, org, key):
    body = {"seconds": "700", "steps": "0"}
    response = web.post(reverse("job-new", args=["test_sleep"]), body)
    assert response.status_code == 200
    assert Job.objects.count() == 0
    form = response.context["form"]
    shown = {f.name: f.errors for f in walk(form.fields) if f.errors}

    api = Client(headers={"Authorization": f"Bearer {key[1]}"})
    answer = api.post("/v1/test/sleep", {"seconds": 700, "steps": 0},
                      content_type="application/json").json()
    assert answer["status"] == 400
    assert shown == answer["details"]

    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert ('<ul class="errors" id="field-steps-error"><li>Input should be greater than or '
            'equal to 1</li></ul>') in html
    assert '<a href="#field-steps">Steps: Input should be greater than or equal to 1</a>' in html
    assert 'value="700"' in html  # what was typed stays


def test_prefilled_from_an_earlier_job(web, org):
    job = JobFactory(organization=org, type="test_sleep",
                     params={"seconds": 3.5, "steps": 7, "target": "again.example"})
    html = web.get(reverse("job-new", args=["test_sleep"]), {"from": job.pk}).content.decode()
    assert 'name="seconds" value="3.5"' in html
    assert 'name="steps" value="7"' in html
    assert 'name="target" value="again.example"' in html


def test_prefill_from_another_organizations_job_is_404(web, other_org):
    job = JobFactory(organization=other_org, type="test_sleep")
    response = web.get(reverse("job-new", args=["test_sleep"]), {"from": job.pk})
    assert response.status_code == 404


def test_operation_without_parameters(web):
    html = web.get(reverse("job-new", args=["test_crash"])).content.decode()
    assert "This operation takes no parameters." in html


# --- the form builder, on a richer schema ------------------------------------------------


class Options(BaseModel):
    """How to run it."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    width: int = Field(1920, ge=320, le=7680, description="Viewport width in pixels.")
    full_page: bool = False
    javascript: bool = True
    format: Literal["png", "jpeg", "webp"] = "png"


class Rich(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")
    start_point: str = Field(description="Domain or IP address.")
    depth: int = Field(1, ge=1, le=3)
    include: list[Literal["dns", "whois", "rpki"]] = Field(default_factory=lambda: ["dns"])
    ports: list[int | str] | None = None
    indicators: list[str] = Field(default_factory=list)
    limit: int | None = Field(None, ge=1)
    url: str = Field("https://example.com", json_schema_extra={"format": "uri"})
    options: Options = Field(default_factory=Options)

    @model_validator(mode="after")
    def not_too_deep(self):
        if self.depth == 3 and self.limit == 1:
            raise ValueError("depth 3 needs a limit above 1")
        return self


def fields_by_name(form):
    return {f.name: f for f in walk(form.fields)}


def test_fields_come_from_the_schema():
    fields = fields_by_name(OperationForm(Rich))
    assert list(fields) == ["startPoint", "depth", "include", "ports", "indicators", "limit",
                            "url", "options", "options.width", "options.fullPage",
                            "options.javascript", "options.format"]
    start = fields["startPoint"]
    assert (start.kind, start.label, start.required, start.help) == (
        "text", "Start point", True, "Domain or IP address.")
    depth = fields["depth"]
    assert (depth.kind, depth.minimum, depth.maximum, depth.value) == ("number", 1, 3, "1")
    include = fields["include"]
    assert (include.kind, include.options, include.value) == (
        "choices", ["dns", "whois", "rpki"], {"dns"})
    assert fields["ports"].kind == "list" and fields["ports"].item_types == ("integer", "string")
    assert fields["indicators"].help == "One per line, or separated by commas."
    assert fields["limit"].kind == "number" and fields["limit"].allows_blank
    assert fields["url"].input_type == "url"
    assert fields["options"].kind == "group" and fields["options"].label == "Options"
    assert fields["options.width"].help == "Viewport width in pixels. From 320 to 7680."
    assert fields["options.fullPage"].kind == "checkbox"
    assert fields["options.javascript"].value is True
    fmt = fields["options.format"]
    assert (fmt.kind, fmt.options, fmt.value, fmt.allows_blank) == (
        "select", ["png", "jpeg", "webp"], "png", False)


def test_labels():
    assert label_for("registrarIanaId", "Registrarianaid") == "Registrar IANA ID"
    assert label_for("all_tlds", "All Tlds") == "All TLDs"
    assert label_for("timeout", "Give up after") == "Give up after"


def post(**data) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        key = key.replace("__", ".")
        for item in value if isinstance(value, list) else [value]:
            query.appendlist(key, item)
    return query


def test_body_holds_what_differs_from_the_defaults():
    form = OperationForm(Rich, data=post(
        startPoint=" example.com ", depth="1", include=["dns", "rpki"],
        ports="443\n8000-8100, 22", indicators="", limit="", url="https://example.com",
        options__width="1024", options__javascript="true", options__format="png"))
    assert form.body == {"startPoint": "example.com", "include": ["dns", "rpki"],
                         "ports": [443, "8000-8100", 22], "options": {"width": 1024}}
    Rich.model_validate(form.body)


def test_unticking_a_default_true_box_sends_false():
    form = OperationForm(Rich, data=post(startPoint="x.test", options__format="png"))
    assert form.body == {"startPoint": "x.test", "include": [], "options": {"javascript": False}}


def test_untouched_form_sends_nothing_but_the_ticked_defaults():
    form = OperationForm(Rich, data=post(include=["dns"], options__javascript="true",
                                         options__format="png", depth="1", options__width="1920",
                                         url="https://example.com"))
    assert form.body == {}


def test_unparseable_numbers_are_left_for_the_schema_to_reject():
    form = OperationForm(Rich, data=post(startPoint="x", depth="deep", limit="2.5"))
    assert form.body["depth"] == "deep" and form.body["limit"] == 2.5


def test_errors_land_on_their_fields():
    form = OperationForm(Rich, data=post(startPoint="x"))
    form.add_errors({"options.width": ["Input should be greater than or equal to 320"],
                     "ports.1": ["Input should be a valid integer"],
                     "include.list[literal['dns','whois','rpki']].0": ["Bad choice"],
                     "body": ["depth 3 needs a limit above 1"],
                     "mystery": ["unknown field"]})
    fields = fields_by_name(form)
    assert fields["options.width"].errors == ["Input should be greater than or equal to 320"]
    assert fields["ports"].errors == ["Item 2: Input should be a valid integer"]
    assert fields["include"].errors == ["Bad choice"]
    assert form.non_field_errors == ["depth 3 needs a limit above 1", "mystery: unknown field"]
    assert form.has_errors
    assert ("field-options-width", "Width",
            "Input should be greater than or equal to 320") in form.error_summary


def test_initial_values_from_stored_parameters():
    form = OperationForm(Rich, initial={"startPoint": "a.test", "ports": [443, "8000-8100"],
                                        "include": ["whois"], "options": {"fullPage": True}})
    fields = fields_by_name(form)
    assert fields["startPoint"].value == "a.test"
    assert fields["ports"].value == "443\n8000-8100"
    assert fields["include"].value == {"whois"}
    assert fields["options.fullPage"].value is True
    assert fields["options.width"].value == "1920"
    assert fields["limit"].value == ""
    assert fields["limit"].default is None and fields["startPoint"].default is MISSING


def test_json_field_for_free_form_objects():
    class Free(BaseModel):
        extra: dict = Field(default_factory=dict)

    form = OperationForm(Free, data=post(extra='{"a": 1}'))
    assert fields_by_name(form)["extra"].kind == "json"
    assert form.body == {"extra": {"a": 1}}
    assert OperationForm(Free, data=post(extra="{nope")).body == {"extra": "{nope"}


@pytest.mark.parametrize("job_type", ["test_sleep", "test_fail", "test_noop", "test_crash"])
def test_every_registered_operation_has_a_working_form(web, job_type):
    assert web.get(reverse("job-new", args=[job_type])).status_code == 200


def test_rendered_rich_form_is_labelled(rf, member):
    from django.template.loader import render_to_string

    form = OperationForm(Rich)
    request = rf.get("/")
    request.user = member
    html = render_to_string("jobs/new.html", {"form": form, "job_type": "rich",
                                              "operation_label": "Rich"}, request)
    assert '<legend>Options</legend>' in html
    assert '<label for="field-options-width">Width</label>' in html
    assert ('<input type="checkbox" id="field-options-fullPage" name="options.fullPage" '
            'value="true">') in html
    assert '<label for="field-options-fullPage">Full page</label>' in html
    assert '<option value="png" selected>png</option>' in html
    assert ('<label class="choice"><input type="checkbox" name="include" value="dns" checked> '
            'dns</label>') in html
    assert '<textarea id="field-ports" name="ports"' in html
    assert '<label for="field-startPoint">Start point <span class="req">required</span>' in html


def test_job_status_after_submit_is_pending(web):
    web.post(reverse("job-new", args=["test_noop"]), {"n": "3"})
    job = Job.objects.get()
    assert job.params == {"n": 3} and job.status == JobStatus.PENDING
    assert json.dumps(job.params)
