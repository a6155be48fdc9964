from jobs.templatetags.text import break_after_dots


def test_break_after_dots():
    assert break_after_dots("mail.example.com.") == "mail.<wbr>example.<wbr>com."
    assert break_after_dots("2001:db8::10") == "2001:<wbr>db8::<wbr>10"
    assert break_after_dots("192.0.2.10") == "192.0.2.10"
    assert break_after_dots('=HYPERLINK("x")') == "=HYPERLINK(&quot;x&quot;)"
