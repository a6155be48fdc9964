from jobs.lookalike import Options, generate
from jobs.lookalike.levenshtein import edits1


def test_edits1_counts():
    # "ab": 2 deletions, 2 x 36 substitutions, 3 x 37 insertions.
    assert len(edits1("ab")) == 2 + 72 + 111


def test_distance_one_is_complete():
    names = {v.name for v in generate("ab.com", ["levenshtein"], None)}
    expected = {e + ".com" for e in edits1("ab") if e != "ab" and not e.startswith("-")
                and not e.endswith("-")}
    assert names == expected


def test_distance_two_is_lazy_and_capped():
    found = generate("example.com", ["levenshtein"], 5000, Options(distance=2))
    assert len(found) == 5000
    assert {v.fuzzer for v in found} == {"levenshtein-1", "levenshtein-2"}
    assert "exampleab.com" not in {v.name for v in found[:1000]}
