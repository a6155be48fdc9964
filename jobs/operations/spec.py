"""What an operation declares about itself: one ``SPEC`` per operation package.

Everything outside the package (the /v1 routes, the OpenAPI document, the dashboard's
labels, forms and result pages, rate categories, schedules and the runner) is derived
from the spec, so adding an operation is its folder plus one line in the registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class ApiPath:
    """One of the operation's own /v1 endpoints, as the OpenAPI document shows it.

    ``answer`` is the pydantic model of the success body (None: ``media`` says what
    comes instead); ``errors`` maps each other status code the endpoint gives to its
    description (an empty description takes the document's usual one).
    """

    path: str
    method: str
    operation_id: str
    summary: str
    status: str = "200"
    answer: type[BaseModel] | None = None
    answer_description: str = ""
    request: type[BaseModel] | None = None
    parameters: tuple[Mapping[str, Any], ...] = ()
    errors: Mapping[str, str] = field(default_factory=dict)
    media: Mapping[str, Any] = field(default_factory=dict)
    public: bool = False        # no API key needed
    # OpenAPI links from the success answer to other operations, by name.
    links: Mapping[str, Any] = field(default_factory=dict)
    example: Mapping[str, Any] | None = None   # a request body the endpoint accepts


@dataclass(frozen=True)
class Route:
    """A submit endpoint under ``/v1/`` and the rate category it counts against."""

    path: str
    category: str = "scans"


@dataclass(frozen=True)
class Periodic:
    """A housekeeping task django-q2 runs every ``minutes`` (installed after migrate)."""

    name: str
    func: str
    minutes: int


@dataclass(frozen=True)
class Presenter:
    """How the dashboard shows a completed job of this type.

    ``template`` renders the result section of the job page (it lives in the package's
    own ``templates/`` folder). ``context(job, result, request)`` gets the typed result
    (an instance of ``spec.result``) and returns what the template needs; ``summary``
    is the one line shown in job lists. ``tables`` are the result's tables
    (``jobs.web.tables.Table``), which the dashboard filters, searches, sorts, pages and
    exports as CSV and JSON; ``jobs.web.tables.views_for`` gives the template their views.
    """

    template: str
    context: Callable[..., dict[str, Any]] = lambda job, result, request: {}
    summary: Callable[[Any], str] = lambda result: ""
    tables: tuple[Any, ...] = ()


@dataclass(frozen=True)
class OperationSpec:
    type: str
    label: str
    description: str
    params: type[BaseModel]
    result: type[BaseModel]
    # run(params, ctx) -> result (a ``result`` instance or a dict of its JSON shape);
    # a coroutine function is run on an event loop the runner owns.
    run: Callable[..., Any]
    timeout: float
    routes: tuple[Route, ...]
    target: Callable[[Any], str]
    # (field, host) pairs to refuse at submission when they are literal refused addresses.
    literal_targets: Callable[[Any], list[tuple[str, str]]] | None = None
    presenter: Presenter | None = None
    schedulable: bool = False
    error_headings: Mapping[str, str] = field(default_factory=dict)
    # Extra URL patterns of the operation's own: under /v1/ and under the dashboard.
    api_urls: Callable[[], list] | None = None
    api_paths: tuple[ApiPath, ...] = ()      # those of api_urls the document shows
    web_urls: Callable[[], list] | None = None
    periodic: tuple[Periodic, ...] = ()
    # A submit body the API accepts, shown in the OpenAPI document (and sent by the
    # fuzzer's examples phase, so its later phases have real jobs to follow).
    example: Mapping[str, Any] | None = None
