"""Turns geoip2fast's shipped data into compact arrays (run as a script, in its own process).

geoip2fast keeps its tables as Python lists of ints (~110 MB resident for country + ASN,
IPv4 + IPv6); the same tables as ``array`` columns take ~12 MB. Building them needs the
big form once, so it happens in a short-lived process of its own and the worker only
ever loads the compact file. IPv6 starts are kept as their upper 64 bits: the few
networks longer than /64 (about 700 of 790,000) are left out.

Usage: python ipbuild.py SOURCE.dat.gz DEST.pickle
"""

import gzip
import os
import pickle
import sys
from array import array

V4_END = 2**32


def columns(starts, lengths, ids):
    v4 = {"start": array("I"), "bits": array("B"), "id": array("I")}
    v6 = {"start": array("Q"), "bits": array("B"), "id": array("I")}
    for chunk_starts, chunk_bits, chunk_ids in zip(starts, lengths, ids, strict=True):
        for start, bits, ident in zip(chunk_starts, chunk_bits, chunk_ids, strict=True):
            if start < V4_END:
                v4["start"].append(start), v4["bits"].append(bits), v4["id"].append(ident)
            elif bits <= 64:
                v6["start"].append(start >> 64), v6["bits"].append(bits), v6["id"].append(ident)
    return {"v4": v4, "v6": v6}


def build(source: str, dest: str) -> None:
    with gzip.open(source, "rb") as handle:
        _version, info, _total, database = pickle.load(handle)
    (_index, _index_asn, countries, as_names, firsts, firsts_asn, country_ids, asn_ids,
     lengths, lengths_asn) = database
    data = {
        "info": info.get("info", ""),
        "countries": countries,
        "as_names": as_names,
        "country": columns(firsts, lengths, country_ids),
        "asn": columns(firsts_asn, lengths_asn, asn_ids),
    }
    partial = f"{dest}.{os.getpid()}.tmp"  # two workers may build at once
    with open(partial, "wb") as handle:
        pickle.dump(data, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, dest)  # readers never see half a file


if __name__ == "__main__":
    build(sys.argv[1], sys.argv[2])
