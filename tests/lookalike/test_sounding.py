from jobs.lookalike import generate
from jobs.lookalike.sounding import respellings


def test_respellings_hand_checked():
    assert {"fone", "ffone"} <= set(respellings("phone"))
    assert "4ever" in respellings("forever")
    assert "l8" in respellings("late")
    assert "kat" in respellings("cat")
    assert "buecher" in respellings("bücher")
    assert "strasse" in respellings("straße")


def test_sounding_names_include_two_changes():
    names = {v.name for v in generate("phonebook.com", ["sounding"], None)}
    assert {"fonebook.com", "phonebuk.com", "fonebuk.com"} <= names
