"""Reading SPF, DMARC and CAA records and judging them.

Each ``analyse_*`` function takes the record strings from the DNS client and returns a
JSON-able dict with the parsed record and an ``issues`` list; an issue is a dict with
``id``, ``severity`` (info|low|medium|high|critical), ``title``, ``description`` and
``evidence``, ready to become a finding.
"""

from __future__ import annotations

import re

from jobs.operations.infra_scan.findings import finding as issue

SPF_LOOKUP_LIMIT = 10  # RFC 7208 section 4.6.4
# Terms that make a receiver query DNS (RFC 7208 section 4.6.4), counted through includes.
SPF_LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")


# --- SPF ---------------------------------------------------------------------------------


def spf_records(txt_records: list[str]) -> list[str]:
    return [r for r in txt_records if re.match(r"^v=spf1(\s|$)", r, re.IGNORECASE)]


def spf_terms(record: str) -> list[str]:
    return record.split()[1:]


def spf_term_name(term: str) -> str:
    return re.split(r"[:=/]", term.lstrip("+-~?"), maxsplit=1)[0].lower()


def spf_term_target(term: str) -> str:
    """The domain an include: or redirect= term names ("" if it names none)."""
    parts = re.split(r"[:=]", term, maxsplit=1)
    return parts[1].strip().lower().rstrip(".") if len(parts) == 2 else ""


def analyse_spf(txt_records: list[str], lookups: int | None = None) -> dict:
    """``lookups``: the DNS lookups counted through includes (``None``: this record's
    own terms only, for callers that cannot follow includes)."""
    records = spf_records(txt_records)
    if not records:
        return {"record": None, "valid": False, "issues": [issue(
            "spf-missing", "medium", "No SPF record",
            "Without SPF anyone can send mail that claims to come from this domain.",
        )]}  # fmt: skip
    terms = spf_terms(records[0])
    own = sum(1 for t in terms if spf_term_name(t) in SPF_LOOKUP_TERMS)
    result = {
        "record": records[0],
        "valid": len(records) == 1,
        "mechanisms": terms,
        "all": _spf_all(terms),
        "lookups": own if lookups is None else lookups,
    }
    result["issues"] = _spf_issues(records, result)
    return result


def _spf_all(terms: list[str]) -> str | None:
    for term in terms:
        if spf_term_name(term) == "all":
            return term if term[0] in "+-~?" else "+" + term
    return None


def _spf_issues(records: list[str], spf: dict) -> list[dict]:
    found = []
    if len(records) > 1:
        found.append(issue("spf-multiple", "medium", "More than one SPF record",
                           "Receivers treat several SPF records as a permanent error.",
                           " | ".join(records)))  # fmt: skip
    if spf["all"] == "+all":
        found.append(issue("spf-pass-all", "high", "SPF allows every sender (+all)",
                           "The record authorises the whole Internet to send as this domain.",
                           spf["record"]))  # fmt: skip
    elif spf["all"] == "?all":
        found.append(issue("spf-neutral-all", "low", "SPF ends with ?all",
                           "A neutral result gives receivers no reason to reject forgeries.",
                           spf["record"]))  # fmt: skip
    elif spf["all"] is None and not any(spf_term_name(t) == "redirect" for t in spf["mechanisms"]):
        found.append(issue("spf-no-all", "low", "SPF has no 'all' mechanism",
                           "Mail from unlisted servers gets a neutral result.", spf["record"]))
    if spf["lookups"] > SPF_LOOKUP_LIMIT:
        found.append(issue("spf-too-many-lookups", "medium", "SPF needs too many DNS lookups",
                           f"{spf['lookups']} lookups counting includes; receivers stop at "
                           f"{SPF_LOOKUP_LIMIT}.",
                           spf["record"]))  # fmt: skip
    if any(spf_term_name(t) == "ptr" for t in spf["mechanisms"]):
        found.append(issue("spf-ptr", "low", "SPF uses the ptr mechanism",
                           "RFC 7208 says not to use ptr: it is slow and unreliable.",
                           spf["record"]))  # fmt: skip
    return found


# --- DMARC -------------------------------------------------------------------------------


def analyse_dmarc(txt_records: list[str]) -> dict:
    records = [r for r in txt_records if re.match(r"^v\s*=\s*DMARC1\s*(;|$)", r, re.IGNORECASE)]
    if not records:
        return {"record": None, "valid": False, "issues": [issue(
            "dmarc-missing", "medium", "No DMARC record",
            "Receivers get no policy for mail that fails SPF and DKIM, and no reports are sent.",
        )]}  # fmt: skip
    tags = _dmarc_tags(records[0])
    result = {
        "record": records[0],
        "valid": len(records) == 1 and tags.get("p") in ("none", "quarantine", "reject"),
        "policy": tags.get("p"),
        "subdomainPolicy": tags.get("sp", tags.get("p")),
        "pct": _int(tags.get("pct"), 100),
        "rua": _uris(tags.get("rua")),
        "ruf": _uris(tags.get("ruf")),
        "adkim": tags.get("adkim", "r"),
        "aspf": tags.get("aspf", "r"),
    }
    result["issues"] = _dmarc_issues(records, result)
    return result


def _dmarc_tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            tags[key.strip().lower()] = value.strip()
    for key in ("p", "sp"):
        if key in tags:
            tags[key] = tags[key].lower()
    return tags


def _uris(value: str | None) -> list[str]:
    return [u.strip() for u in value.split(",") if u.strip()] if value else []


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _dmarc_issues(records: list[str], dmarc: dict) -> list[dict]:
    record = dmarc["record"]
    if len(records) > 1:
        return [issue("dmarc-multiple", "medium", "More than one DMARC record",
                      "Receivers ignore DMARC when there are several records.",
                      " | ".join(records))]  # fmt: skip
    if dmarc["policy"] not in ("none", "quarantine", "reject"):
        return [issue("dmarc-invalid", "medium", "DMARC record has no valid policy",
                      "Without a valid p= tag receivers ignore the record.", record)]
    found = []
    if dmarc["policy"] == "none":
        found.append(issue("dmarc-policy-none", "low", "DMARC policy is 'none'",
                           "Forged mail is reported but still delivered.", record))
    if dmarc["pct"] < 100:
        found.append(issue("dmarc-partial", "low", "DMARC applies to part of the mail",
                           f"pct={dmarc['pct']}: the rest is not subject to the policy.", record))
    if not dmarc["rua"]:
        found.append(issue("dmarc-no-reports", "info", "DMARC asks for no aggregate reports",
                           "Without rua= nobody learns who sends mail as this domain.", record))
    return found


# --- CAA -----------------------------------------------------------------------------------


def analyse_caa(caa_records: list[str]) -> dict:
    entries = [_caa_entry(r) for r in caa_records]
    issuers = [e["value"] for e in entries if e["tag"] in ("issue", "issuewild")]
    result = {"records": entries, "issuers": issuers, "issues": []}
    if not entries:
        result["issues"].append(issue(
            "caa-missing", "low", "No CAA record",
            "Any certificate authority may issue certificates for this domain.",
        ))  # fmt: skip
    return result


def _caa_entry(text: str) -> dict:
    flags, _, rest = text.partition(" ")
    tag, _, value = rest.partition(" ")
    return {"flags": _int(flags, 0), "tag": tag.lower(), "value": value.strip().strip('"')}
