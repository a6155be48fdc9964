from jobs.lookalike import typos


def test_omission():
    assert typos.omission("abc") == ["bc", "ac", "ab"]


def test_transposition_skips_doubled_letters():
    assert typos.transposition("abbc") == ["babc", "abcb"]


def test_repetition():
    assert typos.repetition("ab") == ["aab", "abb"]


def test_replacement_uses_keyboard_neighbours():
    out = set(typos.replacement("g"))
    assert {"t", "y", "f", "h", "v", "b"} <= out  # QWERTY
    assert "z" in out  # QWERTZ has z where QWERTY has y
    assert "g" not in out


def test_insertion_before_and_after():
    out = set(typos.insertion("a"))
    assert {"qa", "aq", "sa", "as", "za", "az"} <= out


def test_addition_at_both_ends_and_around_hyphens():
    out = set(typos.addition("ab-cd"))
    assert {"ab-cdx", "xab-cd", "abx-cd", "ab-xcd", "ab-cd7"} <= out
    assert len(typos.addition("abc")) == 72  # 36 characters, two ends


def test_hyphenation():
    assert typos.hyphenation("abc") == ["a-bc", "ab-c"]


def test_vowel_swap():
    assert set(typos.vowel_swap("bat")) == {"bet", "bit", "bot", "but", "byt"}


def test_plural_and_inner_words():
    out = typos.plural("bookbox")
    assert {"bookboxs", "bookboxes", "booksbox"} <= set(out)
    assert "bookbosex" not in out
    assert "companies" in typos.plural("company")
    assert "boxesbook" in typos.plural("boxbook")


def test_dot_insertion():
    assert typos.dot_insertion("abc") == ["a.bc", "ab.c"]


def test_subdomain_merge():
    assert typos.subdomain_merge("example", "") == []
    assert typos.subdomain_merge("example", "a.b") == [
        "a.bexample", "abexample", "a.b-example", "a-b-example"]


def test_bitsquatting_hand_checked():
    # "a" is 0x61: flipping single bits gives c (0x63), e (0x65), i (0x69), q (0x71);
    # the other flips leave the host-name alphabet (`, A, !, and 0xE1).
    assert typos.bitsquatting("a") == ["c", "e", "i", "q"]
    assert "-" in typos.bitsquatting("m")  # 0x6D ^ 0x40 = 0x2D
