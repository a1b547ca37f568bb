"""Prospects: the people behind leads and contacts, with the ways CRMs mangle their data."""

from __future__ import annotations

import random
from typing import NamedTuple

from sandbox.generate.org import Company
from sandbox.names import FAMILY_NAMES, FREE_MAIL_DOMAINS, GIVEN_NAMES, JOB_TITLES, PLACES

_FULL_WIDTH = str.maketrans(
    {chr(code): chr(code + 0xFEE0) for code in range(0x21, 0x7F)} | {" ": "\u3000"}
)

# Area code of each prefecture's main city in names.PLACES.
AREA_CODES: dict[str, str] = {
    "東京都": "03",
    "神奈川県": "045",
    "埼玉県": "048",
    "千葉県": "043",
    "宮城県": "022",
    "北海道": "011",
    "新潟県": "025",
    "愛知県": "052",
    "大阪府": "06",
    "京都府": "075",
    "兵庫県": "078",
    "広島県": "082",
    "福岡県": "092",
    "静岡県": "054",
}

DEPARTMENTS: tuple[str, ...] = (
    "営業部",
    "情報システム部",
    "経営企画部",
    "総務部",
    "人事部",
    "マーケティング部",
    "購買部",
    "DX推進室",
    "事業開発部",
    "",
)


class Prospect(NamedTuple):
    """One real person at a company, as first recorded."""

    family: str
    given: str
    email: str
    phone: str
    title: str
    department: str
    company: Company


def full_width(text: str) -> str:
    """Return ``text`` with ASCII characters replaced by their full-width forms."""
    return text.translate(_FULL_WIDTH)


def new_prospect(rng: random.Random, company: Company) -> Prospect:
    family, family_roman = FAMILY_NAMES[int(rng.random() * len(FAMILY_NAMES))]
    given, given_roman = GIVEN_NAMES[int(rng.random() * len(GIVEN_NAMES))]
    pattern = rng.random()
    if pattern < 0.05:
        number = int(rng.random() * 9000) + 100
        email = f"{given_roman}.{family_roman}{number}@" + FREE_MAIL_DOMAINS[number % 4]
    elif pattern < 0.55:
        email = f"{given_roman}.{family_roman}@{company.domain}"
    elif pattern < 0.75:
        email = f"{family_roman}.{given_roman}@{company.domain}"
    elif pattern < 0.92:
        email = f"{given_roman[0]}{family_roman}@{company.domain}"
    else:
        email = f"{family_roman}-{given_roman[0]}@{company.domain}"
    return Prospect(
        family,
        given,
        email,
        phone_number(rng, company),
        JOB_TITLES[int(rng.random() * len(JOB_TITLES))],
        DEPARTMENTS[int(rng.random() * len(DEPARTMENTS))],
        company,
    )


def phone_number(rng: random.Random, company: Company) -> str:
    """Return a Japanese phone number in one of the formats people type."""
    area = AREA_CODES[PLACES[company.place][0]]
    digits = int(rng.random() * 100_000_000)
    local = f"{digits // 10000 % 10000:04d}-{digits % 10000:04d}"
    style = rng.random()
    if style < 0.70:
        return f"{area}-{local}"
    if style < 0.85:
        return (area + local).replace("-", "")
    if style < 0.93:
        return f"+81 {area[1:]}-{local}"
    if style < 0.97:
        return full_width(f"{area}-{local}")
    return f"090-{local}"


def company_as_typed(rng: random.Random, company: Company) -> str:
    """Return the company name as a person typed it: mostly exact, sometimes abbreviated."""
    draw = rng.random()
    if draw < 0.93:
        return company.name
    bare = company.name.replace("株式会社", "").replace("合同会社", "").replace("有限会社", "")
    if draw < 0.96:
        return f"(株){bare}" if "株式会社" in company.name else bare
    if draw < 0.98:
        return f"㈱{bare}"
    return bare


def email_as_typed(rng: random.Random, email: str) -> str:
    """Return the same address as another system stored it: changed case or width, or padded."""
    draw = rng.random()
    if draw < 0.45:
        local, _at, domain = email.partition("@")
        return f"{local.capitalize()}@{domain.upper()}"
    if draw < 0.65:
        return email.upper()
    if draw < 0.75:
        return f" {email} "
    if draw < 0.82:
        return full_width(email)
    return email


def address(company: Company) -> tuple[str, str, str, str]:
    """Return (state, city, postal code, street) of the company's office."""
    state, city, postal_prefix, street, _region = PLACES[company.place]
    return state, city, f"{postal_prefix}-{company.index % 10000:04d}", street


def region_team(company: Company) -> str:
    return "東日本営業部" if PLACES[company.place][4] == "東日本" else "西日本営業部"
