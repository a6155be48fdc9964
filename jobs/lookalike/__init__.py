"""Lookalike-domain generation: typos, homoglyphs, bit flips, other suffixes and more.

Pure Python, no Django: ``generate(domain, techniques, limit, options)`` returns
``Variant`` rows whose ``name`` is always a valid ASCII DNS name.
"""

from jobs.lookalike.engine import (
    DEFAULT_TECHNIQUES,
    TECHNIQUES,
    generate,
    parse_techniques,
)
from jobs.lookalike.idn import to_unicode
from jobs.lookalike.model import Options, Variant
from jobs.lookalike.names import DomainParts, InvalidDomain, split_domain

__all__ = [
    "DEFAULT_TECHNIQUES",
    "TECHNIQUES",
    "DomainParts",
    "InvalidDomain",
    "Options",
    "Variant",
    "generate",
    "parse_techniques",
    "split_domain",
    "to_unicode",
]
