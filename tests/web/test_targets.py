"""How targets are shown: ASCII beside Unicode, and a warning for mixed scripts."""

import pytest

from jobs.web.targets import mixed_scripts, target_text


@pytest.mark.parametrize(("text", "ascii", "scripts"), [
    ("example.com", "", ()),
    ("192.0.2.1", "", ()),
    ("p\u0430ypal.com", "xn--pypal-4ve.com", ("CYRILLIC", "LATIN")),
    ("https://p\u0430ypal.com/login", "https://xn--pypal-4ve.com/login", ("CYRILLIC", "LATIN")),
    ("münchen.de", "xn--mnchen-3ya.de", ()),
    ("ドメイン名例.jp", "xn--eckwd4c7cu47r2wf.jp", ()),       # Han with kana is allowed
    ("\u0430\u0440\u0440\u04cf\u0435.com", "xn--80ak6aa92e.com", ()),  # one script per label
    ("g\u03bfogle.com", "xn--gogle-rce.com", ("GREEK", "LATIN")),
])
def test_target_text(text, ascii, scripts):
    shown = target_text(text)
    assert (shown.ascii, shown.scripts) == (ascii, scripts)
    assert shown.mixed == bool(scripts)


def test_plain_text_for_titles():
    assert target_text("example.com").plain == "example.com"
    assert target_text("münchen.de").plain == "xn--mnchen-3ya.de (münchen.de)"
    assert target_text("p\u0430ypal.com").plain == "xn--pypal-4ve.com (mixed scripts)"


def test_fullwidth_latin_is_latin():
    assert mixed_scripts("ｐaypal") == ()
