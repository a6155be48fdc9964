"""Dashboard forms.

The new-job form is built from the operation's pydantic ``Params`` model, through its JSON
schema, so it asks for exactly what the API accepts. It does no validation of its own: it
turns what was typed into a request body and lets ``jobs.submission`` validate it, so the
messages shown next to each field are the ones the API would answer with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from pydantic_core import to_jsonable_python

from jobs.models import JobStatus
from jobs.web.present import STATUS_LABELS, operations

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
ACRONYMS = {"url", "ip", "dns", "tld", "ssl", "tls", "id", "iana", "asn", "rpki", "whois",
            "json", "api", "http", "https", "cidr", "utc"}
WORDS = {"tlds": "TLDs", "ips": "IPs", "urls": "URLs", "asns": "ASNs", "ipv4": "IPv4",
         "ipv6": "IPv6", "ns": "NS", "mx": "MX"}
SPLIT_LIST = re.compile(r"[\n,]")
INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass
class Choice:
    value: str
    selected: bool


@dataclass
class FormField:
    name: str                     # the body path as the API spells it: "options.width"
    label: str
    kind: str                     # text number checkbox select choices list json group
    input_type: str = "text"      # for kind "text": text, url, email, date
    help: str = ""
    required: bool = False
    default: Any = MISSING
    options: list[Any] = field(default_factory=list)      # enum values, as the schema has them
    minimum: float | None = None
    maximum: float | None = None
    step: str = "1"
    item_types: tuple[str, ...] = ()
    children: list[FormField] = field(default_factory=list)
    value: Any = ""
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def id(self) -> str:
        return "field-" + self.name.replace(".", "-")

    @property
    def choices(self) -> list[Choice]:
        if self.kind == "choices":
            return [Choice(str(v), str(v) in self.value) for v in self.options]
        return [Choice(str(v), str(v) == self.value) for v in self.options]

    @property
    def described_by(self) -> str:
        ids = [f"{self.id}-help" if self.help else "", f"{self.id}-error" if self.errors else ""]
        return " ".join(i for i in ids if i)

    @property
    def allows_blank(self) -> bool:
        return not self.required and self.default in (MISSING, None)


# --- schema -> fields ----------------------------------------------------------------


def schema_fields(model) -> list[FormField]:
    schema = model.model_json_schema(by_alias=True)
    fields = _object_fields(schema, schema.get("$defs", {}), prefix="")
    _apply_defaults(fields, _factory_defaults(model))
    return fields


def _factory_defaults(model) -> dict:
    """Defaults made by ``default_factory``, which the JSON schema leaves out."""
    defaults = {}
    for name, info in model.model_fields.items():
        if info.default_factory is None:
            continue
        try:
            value = info.default_factory()
        except TypeError:  # a factory that wants the other fields' values
            continue
        key = info.serialization_alias or info.alias or name
        defaults[key] = to_jsonable_python(value, by_alias=True)
    return defaults


def _apply_defaults(fields: list[FormField], defaults: dict) -> None:
    for f in fields:
        if f.key not in defaults:
            continue
        if f.kind == "group" and isinstance(defaults[f.key], dict):
            _apply_defaults(f.children, defaults[f.key])
        elif f.default is MISSING:
            f.default = defaults[f.key]


def _object_fields(schema: dict, defs: dict, prefix: str) -> list[FormField]:
    required = set(schema.get("required", []))
    return [_field(key, prefix + key, prop, key in required, defs)
            for key, prop in schema.get("properties", {}).items()]


def _deref(node: dict, defs: dict) -> dict:
    for _ in range(20):
        if "$ref" not in node:
            break
        target = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        # A model's own title is its class name: the field's name reads better.
        node = {**{k: v for k, v in target.items() if k != "title"},
                **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _unwrap(node: dict, defs: dict) -> dict:
    """Optional[X] and unions: the branch a form can best ask for (a list, an object, X)."""
    node = _deref(node, defs)
    branches = node.get("anyOf") or node.get("oneOf")
    if not branches:
        return node
    outer = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
    real = [b for b in (_deref(b, defs) for b in branches) if b.get("type") != "null"]
    if not real:
        return {**outer, "type": "null"}
    pick = (next((b for b in real if b.get("type") == "array"), None)
            or next((b for b in real if b.get("properties")), None)
            or real[0])
    return {**pick, **outer, "x-types": tuple(b.get("type", "") for b in real)}


def _field(key: str, name: str, prop: dict, required: bool, defs: dict) -> FormField:
    node = _unwrap(prop, defs)
    f = FormField(name=name, label=label_for(key, node.get("title")), kind="text",
                  required=required, default=node.get("default", MISSING))
    kind = node.get("type")
    if "enum" in node or "const" in node:
        f.kind, f.options = "select", list(node.get("enum") or [node.get("const")])
    elif kind == "boolean":
        f.kind = "checkbox"
    elif kind in ("integer", "number"):
        f.kind, f.step = "number", "1" if kind == "integer" else "any"
        f.minimum = node.get("minimum", node.get("exclusiveMinimum"))
        f.maximum = node.get("maximum", node.get("exclusiveMaximum"))
    elif kind == "array":
        items = _unwrap(node.get("items", {}), defs)
        if "enum" in items:
            f.kind, f.options = "choices", list(items["enum"])
        else:
            f.kind = "list"
            f.item_types = items.get("x-types") or (items.get("type", "string"),)
    elif kind == "object" and node.get("properties"):
        f.kind, f.children = "group", _object_fields(node, defs, name + ".")
    elif kind in ("object", None):
        f.kind = "json"
    else:
        f.input_type = {"uri": "url", "email": "email", "date": "date"}.get(
            node.get("format", ""), "text")
    f.help = _help(f, node)
    return f


def label_for(key: str, title: str | None) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").lower().split()
    generated = {"".join(words), " ".join(words)}
    if title and title.lower() not in generated and title.lower().replace(" ", "") not in generated:
        return title  # someone wrote this title on purpose
    words = [WORDS.get(w) or (w.upper() if w in ACRONYMS else w) for w in words] or [key]
    return words[0][:1].upper() + words[0][1:] + "".join(" " + w for w in words[1:])


def _help(f: FormField, node: dict) -> str:
    parts = [node.get("description", "").strip()]
    if f.kind == "number":
        low, high = _num(f.minimum), _num(f.maximum)
        if low is not None and high is not None:
            parts.append(f"From {low} to {high}.")
        elif low is not None:
            parts.append(f"At least {low}.")
        elif high is not None:
            parts.append(f"At most {high}.")
    elif f.kind == "list":
        parts.append("One per line, or separated by commas.")
    elif f.kind == "json":
        parts.append("A JSON object.")
    elif f.kind == "choices":
        parts.append("Choose any.")
    return " ".join(p for p in parts if p)


def _num(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def walk(fields: list[FormField]):
    for f in fields:
        yield f
        yield from walk(f.children)


# --- values in and out -----------------------------------------------------------------


def _display(f: FormField, value: Any) -> Any:
    if f.kind == "checkbox":
        return bool(value) if value is not MISSING else False
    if f.kind == "choices":
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        return {str(v) for v in value} if isinstance(value, list) else set()
    if value is MISSING or value is None:
        return ""
    if f.kind == "list":
        return "\n".join(map(str, value)) if isinstance(value, list) else str(value)
    if f.kind == "json":
        return json.dumps(value, indent=2)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _set_initial(fields: list[FormField], initial: dict) -> None:
    for f in fields:
        value = initial.get(f.key, MISSING) if isinstance(initial, dict) else MISSING
        if f.kind == "group":
            _set_initial(f.children, value if isinstance(value, dict) else {})
            continue
        f.value = _display(f, f.default if value is MISSING else value)


def _read(f: FormField, data) -> Any:
    """What the user gave for one field, as the API body would carry it; MISSING if nothing."""
    if f.kind == "checkbox":
        f.value = data.get(f.name) is not None
        return f.value
    if f.kind == "choices":
        picked = data.getlist(f.name)
        f.value = set(picked)
        chosen = [v for v in f.options if str(v) in f.value]
        return MISSING if not chosen and f.default in (MISSING, None) else chosen
    raw = data.get(f.name, "")
    f.value = raw
    raw = raw.strip()
    if not raw:
        return MISSING
    if f.kind == "select":
        return next((v for v in f.options if str(v) == raw), raw)
    if f.kind == "number":
        return _number(raw)
    if f.kind == "list":
        items = [part.strip() for part in SPLIT_LIST.split(raw)]
        return [_list_item(item, f.item_types) for item in items if item]
    if f.kind == "json":
        try:
            return json.loads(raw)
        except ValueError:
            return raw  # the schema check answers with the API's own message
    return raw


def _number(raw: str):
    try:
        return int(raw) if INTEGER.match(raw) else float(raw)
    except ValueError:
        return raw  # the schema check answers with the API's own message


def _list_item(item: str, types: tuple[str, ...]):
    if "integer" in types and INTEGER.match(item):
        return int(item)
    if "number" in types:
        return _number(item)
    return item


def _collect(fields: list[FormField], data) -> dict:
    body: dict[str, Any] = {}
    for f in fields:
        if f.kind == "group":
            value = _collect(f.children, data) or MISSING
        else:
            value = _read(f, data)
        # Leaving out what equals the default sends the smallest body that means the same.
        if value is not MISSING and not (f.default is not MISSING and value == f.default):
            body[f.key] = value
    return body


class OperationForm:
    """The fields of one operation's form, their values, and the API's messages for them."""

    def __init__(self, params_model, *, data=None, initial: dict | None = None):
        self.fields = schema_fields(params_model)
        self.non_field_errors: list[str] = []
        _set_initial(self.fields, initial or {})
        self.body = _collect(self.fields, data) if data is not None else None

    @property
    def has_errors(self) -> bool:
        return bool(self.non_field_errors or any(f.errors for f in walk(self.fields)))

    @property
    def error_summary(self) -> list[tuple[str, str, str]]:
        """(field id, label, message) for the list at the top of the form."""
        return [(f.id, f.label, message) for f in walk(self.fields) for message in f.errors]

    def add_errors(self, details: dict[str, list[str]]) -> None:
        by_name = {f.name: f for f in walk(self.fields)}
        for loc, messages in details.items():
            owner = _owner(by_name, loc)
            if owner is None:
                self.non_field_errors += [m if loc == "body" else f"{loc}: {m}"
                                          for m in messages]
                continue
            where = _where(loc[len(owner.name) + 1:])
            owner.errors += [f"{where}: {m}" if where else m for m in messages]


def _owner(by_name: dict[str, FormField], loc: str) -> FormField | None:
    parts = loc.split(".")
    for end in range(len(parts), 0, -1):
        found = by_name.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None


def _where(rest: str) -> str:
    """'3' -> 'Item 4'; a union branch name (pydantic's 'str', 'list[...]') says nothing."""
    first = rest.split(".", 1)[0]
    return f"Item {int(first) + 1}" if first.isdigit() else ""


# --- plain forms ---------------------------------------------------------------------


class JobFilterForm(forms.Form):
    status = forms.ChoiceField(required=False)
    type = forms.ChoiceField(required=False, label="Type")
    q = forms.CharField(required=False, max_length=200, label="Target")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any status")] + [
            (value, STATUS_LABELS[value]) for value in JobStatus.values]
        self.fields["type"].choices = [("", "Any type")] + [
            (op.type, op.label) for op in operations()]

    def filters(self) -> dict[str, str]:
        """The valid filters; anything unknown is ignored rather than failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"status": data.get("status") or "", "job_type": data.get("type") or "",
                "query": (data.get("q") or "").strip()}

    @property
    def active(self) -> bool:
        return any(self.filters().values())


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, label="Key name",
                           help_text="Something to recognise it by, such as the tool or "
                                     "person that will use it.")
