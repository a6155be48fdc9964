"""The search language: a table of queries and what they mean or why they are refused."""

import pytest

from jobs.operations.search import finder, query
from jobs.operations.search.operation import Params
from jobs.operations.search.query import Term


@pytest.mark.parametrize("text, terms", [
    ("registrantEmail:a@b.com", [Term("registrantEmail", "a@b.com")]),
    ('registrantCompany:"Acme Corp"', [Term("registrantCompany", "Acme Corp")]),
    ('registrantCompany:"Say \\"hi\\""', [Term("registrantCompany", 'Say "hi"')]),
    ("nameServer:ns1.* tld:com", [Term("nameServer", "ns1.*"), Term("tld", "com")]),
    ("email:*@acme.com AND ns:*.cloudflare.com",
     [Term("registrantEmail", "*@acme.com"), Term("nameServer", "*.cloudflare.com")]),
    ("REGISTRANTNAME:john*", [Term("registrantName", "john*")]),
    ("registrant_company:*acme*", [Term("registrantCompany", "*acme*")]),
    ("example.*", [Term("domain", "example.*")]),
    ("createdAfter:2020-01-01 createdBefore:2020-12-31",
     [Term("createdAfter", "2020-01-01"), Term("createdBefore", "2020-12-31")]),
    ("  expiryDate:2030-05-06  ", [Term("expiryDate", "2030-05-06")]),
])
def test_queries_parse(text, terms):
    assert query.parse(text) == terms


@pytest.mark.parametrize("text, problem", [
    ("colour:blue", "unknown field 'colour'"),
    ('registrantCompany:"Acme', "unclosed quote"),
    ("registrantEmail:*", "only wildcards"),
    ("registrantEmail:**", "only wildcards"),
    ("createdDate:2020-13-01", "not a date"),
    ("createdDate:yesterday", "not a date"),
    ("createdDate:2020-*", "dates take no wildcards"),
    ('registrantName:""', "empty value"),
    ("registrantName:", "no value after"),
    ("", "empty"),
])
def test_bad_queries_name_the_problem(text, problem):
    with pytest.raises(query.QueryError, match=problem):
        query.parse(text)


def test_params_combine_query_fields_and_ranges():
    params = Params.model_validate({"query": "tld:com", "registrantEmail": "A@B.com",
                                    "expiry_before": "2030-01-01", "limit": 10, "page": 2})
    assert params.terms() == [Term("tld", "com"), Term("registrantEmail", "A@B.com"),
                              Term("expiryBefore", "2030-01-01")]
    assert params.start == 20


def test_field_makes_the_query_one_value():
    params = Params.model_validate({"query": "Acme Corp", "field": "registrantCompany"})
    assert params.terms() == [Term("registrantCompany", "Acme Corp")]


@pytest.mark.parametrize("body, problem", [
    ({}, "at least one criterion"),
    ({"limit": 5}, "at least one criterion"),
    ({"field": "registrantEmail"}, "field needs a query"),
    ({"query": "x", "field": "shoeSize"}, "unknown field"),
    ({"query": "   "}, "the query is empty"),
    ({"registrantEmail": "*"}, "only wildcards"),
    ({"createdDate": "01/02/2020"}, "not a date"),
])
def test_params_refuse_bad_criteria(body, problem):
    with pytest.raises(ValueError, match=problem):
        Params.model_validate(body)


@pytest.mark.parametrize("body", [{"query": "tld:com", "limit": 0},
                                  {"query": "tld:com", "limit": 101},
                                  {"query": "tld:com", "page": -1},
                                  {"query": "tld:com", "offset": -5},
                                  {"query": "tld:com", "colour": "blue"}])
def test_params_refuse_bad_paging_and_unknown_fields(body):
    with pytest.raises(ValueError):
        Params.model_validate(body)


@pytest.mark.parametrize("text, anywhere, covered", [
    ("registrantEmail:*acme*", True, True),
    ("registrantEmail:*@acme.com registrantName:john*", True, True),
    ("*paypal*", True, False),                     # the domain has no covering B-tree
    ("registrantCompany:*acme* *paypal*", True, False),
    ("nameServer:*.cloudflare.com", True, False),
    ("domainStatus:*hold*", False, False),         # no trigram index: a plain scan
    ("registrarName:*soft*", False, False),
    ("registrantCompany:acme*", False, False),
])
def test_which_patterns_are_trigram_searches(db, text, anywhere, covered):
    where = query.compile_terms(query.parse(text))
    assert (where.anywhere, where.covered) == (anywhere, covered)


def test_a_company_pattern_is_a_list_of_the_matching_companies(records):
    from django.db import connection

    where = query.compile_terms(query.parse("registrantCompany:*acme*"))
    assert not where.anywhere
    values = where.params[0] if connection.vendor == "postgresql" else where.params
    assert sorted(values) == ["acme corp", "acme corporation"]


def test_a_pattern_no_company_matches_finds_nothing(records):
    page = finder.search(query.parse("registrantCompany:*zzzq*"), organization_id=None,
                         limit=10, offset=0)
    assert (page.records, page.total) == ([], 0)
