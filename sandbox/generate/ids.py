"""Record ids in the forms the CRMs use.

Salesforce ids are 18 characters: a 15-character case-sensitive id whose first three
characters are the object's key prefix, followed by a 3-character suffix that encodes which
of the 15 characters are upper case, so that case-insensitive tools can tell ids apart.
HubSpot ids are numeric strings.

Every generated chunk owns a disjoint id block, so chunks can be generated independently
and still never share an id.
"""

from __future__ import annotations

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_PAIRS = [a + b for a in BASE62 for b in BASE62]
_PAIR_FLAGS = [(a.isupper()) | (b.isupper()) << 1 for a in BASE62 for b in BASE62]
_CHAR_FLAGS = [int(c.isupper()) for c in BASE62]
_PAIR_SPACE = len(_PAIRS)
MAX_SERIAL = 62 * _PAIR_SPACE * _PAIR_SPACE  # 62**5 ids per block

# The 4th and 5th characters of a real id name the server pod; any two base62 characters do.
POD = "5i"

# Key prefixes of the Salesforce objects the sandbox serves.
KEY_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "User": "005",
    "Lead": "00Q",
    "Task": "00T",
    "Event": "00U",
    "UserRole": "00E",
    "Profile": "00e",
    "LeadHistory": "017",
    "OpportunityFieldHistory": "017",
    "OpportunityContactRole": "00K",
}

# History objects share key prefix 017, so each object gets its own slot within a block.
_OBJECT_SLOTS = {name: slot for slot, name in enumerate(KEY_PREFIXES)}


def case_suffix(id15: str) -> str:
    """Return the 3-character suffix that turns a 15-character id into its 18-character form."""
    suffix = ""
    for start in (0, 5, 10):
        flags = 0
        for position, char in enumerate(id15[start : start + 5]):
            if "A" <= char <= "Z":
                flags |= 1 << position
        suffix += SUFFIX_ALPHABET[flags]
    return suffix


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(BASE62[digit])
    if number:
        raise ValueError(f"number does not fit in {width} base62 digits")
    return "".join(reversed(digits))


class SalesforceIds:
    """A sequence of 18-character ids for one object within one id block."""

    def __init__(self, sobject: str, block: int) -> None:
        prefix = KEY_PREFIXES[sobject]
        block_text = _base62(block * len(_OBJECT_SLOTS) + _OBJECT_SLOTS[sobject], 5)
        head = prefix + POD
        self._head = head + block_text
        self._head_suffix = case_suffix(head + block_text + "00000")[:2]
        self._serial = 0

    def next(self) -> str:
        serial = self._serial
        self._serial = serial + 1
        if serial >= MAX_SERIAL:
            raise OverflowError("id block exhausted; generate smaller chunks")
        first, rest = divmod(serial, _PAIR_SPACE * _PAIR_SPACE)
        middle, last = divmod(rest, _PAIR_SPACE)
        flags = _CHAR_FLAGS[first] | _PAIR_FLAGS[middle] << 1 | _PAIR_FLAGS[last] << 3
        return (
            self._head
            + BASE62[first]
            + _PAIRS[middle]
            + _PAIRS[last]
            + self._head_suffix
            + SUFFIX_ALPHABET[flags]
        )


# First id of each HubSpot object type. Real portals number contacts from small integers and
# deals and engagements from ten-digit integers; separate ranges also make mixed-up ids visible.
HUBSPOT_BASES: dict[str, int] = {
    "contacts": 1_000_000,
    "companies": 5_000_000_000,
    "deals": 9_000_000_000,
    "calls": 20_000_000_000,
    "meetings": 30_000_000_000,
    "emails": 40_000_000_000,
    "tasks": 50_000_000_000,
    "owners": 70_000_000,
    "users": 40_000_000,
    "merged": 900_000_000_000,  # far above any contact id, so merged-away ids never exist
}
HUBSPOT_BLOCK = 10_000_000  # ids per object per chunk


class HubSpotIds:
    """A sequence of numeric-string ids for one HubSpot object type within one id block."""

    def __init__(self, object_type: str, block: int) -> None:
        self._next = HUBSPOT_BASES[object_type] + block * HUBSPOT_BLOCK
        self._limit = self._next + HUBSPOT_BLOCK

    def next(self) -> str:
        value = self._next
        if value >= self._limit:
            raise OverflowError("id block exhausted; generate smaller chunks")
        self._next = value + 1
        return str(value)
