import pytest

from rapport.interchange.salesforce.ids import InvalidId, checksum, normalize_id, object_of

# A real pair: Salesforce's documentation example.
ID15 = "001A0000006Vm9r"
ID18 = "001A0000006Vm9rIAC"


def test_fifteen_characters_gain_the_case_checksum():
    assert checksum(ID15) == "IAC"
    assert normalize_id(ID15) == ID18
    assert normalize_id(ID18) == ID18
    assert normalize_id(ID15 + "iac") == ID18


@pytest.mark.parametrize(
    "value", ["", "001A0000006Vm9", "001A0000006Vm9rIAD", "001A00000-6Vm9r", "x" * 19]
)
def test_invalid_ids_are_refused(value):
    with pytest.raises(InvalidId):
        normalize_id(value)


def test_prefix_names_the_object():
    assert object_of(ID18) == "Account"
    assert object_of("003" + ID18[3:]) == "Contact"
    assert object_of("00Q" + ID18[3:]) is None
