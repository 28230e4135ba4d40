"""Salesforce record Ids: the 15-character form, the 18-character form and what an Id names.

A Salesforce Id is 15 case-sensitive characters; the 18-character form adds three characters
that encode which of the 15 are upper case, so that the Id survives tools that ignore case.
Rapport keeps every Id in the 18-character form, so that a reference given as 15 characters
finds the row stored from an 18-character Id and the other way round.
"""

from __future__ import annotations

import functools
import re
import string

from django.utils.translation import gettext as _

from rapport.interchange.salesforce.schema import BY_PREFIX

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ALPHANUMERIC = string.ascii_letters + string.digits
_ID_CHARACTERS = re.compile(r"[0-9A-Za-z]+")


class InvalidId(ValueError):
    """A value that is not a Salesforce Id; the message says why, for the problem report."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Each character as a bit: "1" for an upper-case letter, "0" for anything else.
_CASE_BITS = str.maketrans(
    {character: "1" if character.isupper() else "0" for character in _ALPHANUMERIC}
)


# A group's five bits, first character first, and the suffix character they make.
_GROUP_CHARACTER = {
    format(value, "05b")[::-1]: character for value, character in enumerate(_SUFFIX_ALPHABET)
}


def checksum(id15: str) -> str:
    """The three characters Salesforce appends to a 15-character Id.

    Each group of five characters gives one: bit ``n`` of its position in the alphabet is set
    when the group's ``n``-th character is an upper-case letter.
    """
    bits = id15.translate(_CASE_BITS)
    return _GROUP_CHARACTER[bits[:5]] + _GROUP_CHARACTER[bits[5:10]] + _GROUP_CHARACTER[bits[10:15]]


# The same Ids come back again and again (an account named by each of its tasks); a bounded cache
# spares the checksum for them.
@functools.lru_cache(maxsize=1 << 15)
def normalize_id(value: str) -> str:
    """The 18-character form of an Id given in either form; ``InvalidId`` if it is none.

    An 18-character Id must carry the right suffix (compared without regard to case, as
    Salesforce does): a wrong one means the Id was altered, and guessing would link the wrong row.
    """
    text = value.strip()
    if len(text) not in (15, 18) or not _ID_CHARACTERS.fullmatch(text):
        raise InvalidId(
            _("“%(value)s” is not a Salesforce Id (15 or 18 letters and digits).")
            % {"value": text[:40]}
        )
    expected = checksum(text[:15])
    if len(text) == 18 and text[15:].upper() != expected:
        raise InvalidId(
            _("“%(value)s” is not a valid Salesforce Id: its last three characters are wrong.")
            % {"value": text}
        )
    return text[:15] + expected


def object_of(id18: str) -> str | None:
    """The name of the object an Id belongs to, from its key prefix, if Rapport knows it."""
    sobject = BY_PREFIX.get(id18[:3])
    return sobject.name if sobject is not None else None
