"""The search result page: the matching records as a shared table, each linking to its
record page (``urls.py``)."""

from __future__ import annotations

from django.urls import reverse

from jobs.web import tables
from jobs.web.tables import Column, Table


def _rows(result) -> list[dict]:
    return [{
        "domain": item.domain, "registrarName": item.registrar_name,
        "registrantName": item.registrant_name, "registrantCompany": item.registrant_company,
        "registrantEmail": item.registrant_email + (" (proxy)" if
                                                    item.registrant_email_privacy_proxy else ""),
        "registrantCountry": item.registrant_country,
        "nameServers": " ".join(item.name_servers), "createdDate": item.created_date or "",
        "expiryDate": item.expiry_date or "",
    } for item in result.items]


RECORDS = Table("records", "Matching domains", columns=(
    Column("domain", "Domain", mono=True),
    Column("registrarName", "Registrar", filter=True),
    Column("registrantName", "Registrant"),
    Column("registrantCompany", "Company", filter=True),
    Column("registrantEmail", "E-mail", mono=True),
    Column("registrantCountry", "Country", filter=True),
    Column("nameServers", "Name servers", mono=True),
    Column("createdDate", "Created", mono=True),
    Column("expiryDate", "Expires", mono=True),
), rows=_rows, page_size=100, empty="No registration record matches.", noun="domain")


def result_context(job, result, request) -> dict:
    return {"views": tables.views_for(job, result, (RECORDS,), request.GET), "found": result,
            "page_number": result.page_number + 1, "pages": max(result.total_pages, 1),
            "record_url": reverse("registration-record-lookup"),
            "params": job.params}


def result_summary(result) -> str:
    more = "+" if result.total_estimated else ""
    return f"{result.total}{more} domains, page {result.page_number + 1} of " \
           f"{max(result.total_pages, 1)}"
