"""Identity keys: text folding, creation order and person resolution against plain Python.

Each reference below is plain Python written from the rules in transforms/identity.py.
Text folds with ``fold_text`` (NFKC, lower case, no whitespace), and an empty result is null.
Records sort by (created_at, source, source_id) with nulls last. Records that share a folded
email, or an account domain and a folded full name, are one person, transitively.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_series_equal

from transforms.identity import creation_rank, fold_series, normalize_key, resolve_persons
from transforms.rules import fold_text

SETTINGS = settings(max_examples=60, deadline=None)
START = datetime(2025, 4, 1, tzinfo=UTC)

# Upper case, full-width letters and digits, the ideographic space U+3000, tabs, newlines,
# a no-break space, kana in both widths and kanji.
FOLD_ALPHABET = "aZ09@._- \t\n\u00a0\u3000ＡＢＣａｂｃ１２＠．ｱｲｳアイウ営業漢字Ⅻ"

# Values of printable lower-case ASCII are already folded. Lists mostly made of them take
# the path that folds only the other rows.
PLAIN_ALPHABET = "abc09@._-"

folded_texts = st.lists(st.one_of(st.none(), st.text(PLAIN_ALPHABET, max_size=8),
                                  st.text(FOLD_ALPHABET, max_size=8)), max_size=30)


def fold_reference(value: str | None) -> str | None:
    if value is None:
        return None
    return fold_text(value) or None


def leads_frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={
        "source": pl.Utf8, "source_id": pl.Utf8, "created_at": pl.Datetime("us", "UTC"),
        "email": pl.Utf8, "full_name": pl.Utf8, "account_id": pl.Utf8})


# -- folding -----------------------------------------------------------------------------


@SETTINGS
@given(folded_texts)
def test_fold_series_matches_fold_text(values: list[str | None]) -> None:
    series = pl.Series("email", values, dtype=pl.Utf8)

    folded = fold_series(series)

    assert folded.name == "email"
    assert folded.dtype == pl.Utf8
    assert folded.to_list() == [fold_reference(value) for value in values]


@pytest.mark.parametrize("unfolded_count", [0, 1, 2, 3, 8])
def test_fold_series_each_branch(unfolded_count: int) -> None:
    # fold_series leaves values of printable lower-case ASCII as they are and folds the
    # others: per distinct value when they are over a quarter of the rows, else only at
    # their positions. Eight rows cover none, a few (1, 2), over a quarter (3) and all.
    plain = ["taro@x.jp", "", None, "a-b_c", "x.y", "@", "ken@y.jp", "q"]
    unfolded = ["taro @x.jp", "Hanako@X.jp", "ken\t@y.jp\u3000", "山田　太郎", "Ⅻ",
                "ｱｲｳ", "ＴＡＲＯ＠ｘ．ｊｐ", "\u3000"]
    values = unfolded[:unfolded_count] + plain[unfolded_count:]

    folded = fold_series(pl.Series("name", values, dtype=pl.Utf8))

    assert folded.to_list() == [fold_reference(value) for value in values]


def test_fold_series_plain_values() -> None:
    values = ["ＴＡＲＯ＠ｘ．ｊｐ", " Taro@X.jp ", "山田　太郎", "a\tb", "", "\u3000", None]

    folded = fold_series(pl.Series("email", values, dtype=pl.Utf8))

    # Written out by hand: full-width folds to ASCII, case and every space go, and a value
    # with nothing left is null.
    assert folded.to_list() == ["taro@x.jp", "taro@x.jp", "山田太郎", "ab", None, None, None]


def test_fold_series_matches_normalize_key_on_every_character() -> None:
    # Each Basic and Supplementary Multilingual Plane character between a lower- and an
    # upper-case letter, so every value needs folding and all go through the fold once.
    characters = [chr(point) for point in range(0x20000) if not 0xD800 <= point < 0xE000]
    series = pl.Series("text", ["a" + character + "B" for character in characters],
                       dtype=pl.Utf8)

    expected = series.to_frame().select(normalize_key(pl.col("text"))).to_series()

    assert_series_equal(fold_series(series), expected)


def test_fold_series_shortcut_on_every_character() -> None:
    # Each Basic Multilingual Plane character alone among three times as many folded
    # values: under a quarter of the rows need folding, so fold_series folds only those
    # and must still recognize every character that changes under the fold.
    characters = [chr(point) for point in range(0x10000) if not 0xD800 <= point < 0xE000]
    series = pl.Series("text", ["a" + character + "b" for character in characters]
                       + ["taro@x.jp"] * (3 * len(characters)), dtype=pl.Utf8)

    expected = series.to_frame().select(normalize_key(pl.col("text"))).to_series()

    assert_series_equal(fold_series(series), expected)


# -- creation order ----------------------------------------------------------------------


creation_rows = st.lists(
    st.tuples(st.sampled_from(["sf", "hs"]),
              st.sampled_from(["1", "2", "10", "a", "B", "ｂ"]),
              st.one_of(st.none(), st.integers(min_value=0, max_value=3))),
    unique_by=lambda row: (row[0], row[1]),
    max_size=12,
)


def rank_reference(rows: list[tuple[str, str, datetime | None]]) -> list[int]:
    order = sorted(range(len(rows)), key=lambda index: (
        rows[index][2] is None, rows[index][2] or START, rows[index][0], rows[index][1]))
    rank = [0] * len(rows)
    for position, index in enumerate(order):
        rank[index] = position
    return rank


@SETTINGS
@given(creation_rows)
def test_creation_rank_matches_sorting(rows: list[tuple[str, str, int | None]]) -> None:
    # Four timestamps and nulls for up to twelve records: most records tie with another.
    timed = [(source, source_id, None if hours is None else START + timedelta(hours=hours))
             for source, source_id, hours in rows]
    leads = leads_frame([{"source": source, "source_id": source_id, "created_at": created}
                         for source, source_id, created in timed])

    rank = creation_rank(leads)

    assert rank.dtype == pl.Int64
    assert rank.to_list() == rank_reference(timed)


def test_creation_rank_plain_values() -> None:
    leads = leads_frame([
        {"source": "sf", "source_id": "2", "created_at": START},
        {"source": "sf", "source_id": "9", "created_at": None},
        {"source": "hs", "source_id": "5", "created_at": START},
        {"source": "sf", "source_id": "1", "created_at": START + timedelta(hours=1)},
        {"source": "hs", "source_id": "3", "created_at": None},
    ])

    # By hand: hs:5 and sf:2 tie at START ("hs" < "sf"), then sf:1, then the nulls hs:3,
    # sf:9.
    assert creation_rank(leads).to_list() == [1, 4, 0, 2, 3]


# -- persons -----------------------------------------------------------------------------


ACCOUNTS = pl.DataFrame([
    {"source": "sf", "source_id": "A1", "domain": "Alpha.Example.jp"},
    {"source": "sf", "source_id": "A2", "domain": "https://www.alpha.example.jp/contact"},
    {"source": "sf", "source_id": "A3", "domain": "ＢＥＴＡ．example.jp"},
    {"source": "sf", "source_id": "A4", "domain": "intranet"},
    {"source": "sf", "source_id": "A5", "domain": None},
    {"source": "hs", "source_id": "A1", "domain": "beta.example.jp"},
    {"source": "hs", "source_id": "A6", "domain": " www.Alpha.example.jp "},
], schema={"source": pl.Utf8, "source_id": pl.Utf8, "domain": pl.Utf8})

# The domain of each (source, account) above, folded by hand: scheme, path and "www." go,
# full-width letters and the full-width stop fold, and a host without a dot is no domain.
# A9 is in no account table and A6 exists for HubSpot only.
DOMAINS = {
    ("sf", "A1"): "alpha.example.jp",
    ("sf", "A2"): "alpha.example.jp",
    ("sf", "A3"): "beta.example.jp",
    ("hs", "A1"): "beta.example.jp",
    ("hs", "A6"): "alpha.example.jp",
}

EMAILS = [None, "", "taro@x.jp", "TARO@x.jp ", "ｔａｒｏ＠ｘ．ｊｐ", "hanako@x.jp", "ken@y.jp"]
NAMES = [None, "", "山田 太郎", "山田　太郎", "山田太郎", "Taro Yamada", "TARO\tYAMADA",
         "佐藤 花子"]
ACCOUNT_IDS = [None, "A1", "A2", "A3", "A4", "A5", "A6", "A9"]

person_rows = st.lists(
    st.fixed_dictionaries({
        "source": st.sampled_from(["sf", "hs"]),
        "hours": st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
        "email": st.sampled_from(EMAILS),
        "full_name": st.sampled_from(NAMES),
        "account_id": st.sampled_from(ACCOUNT_IDS),
    }),
    max_size=14,
)


def person_leads(rows: list[dict]) -> pl.DataFrame:
    return leads_frame([{
        "source": row["source"], "source_id": f"L{index}",
        "created_at": None if row["hours"] is None else START + timedelta(hours=row["hours"]),
        "email": row["email"], "full_name": row["full_name"], "account_id": row["account_id"],
    } for index, row in enumerate(rows)])


def persons_reference(leads: pl.DataFrame) -> dict[str, list]:
    """Resolve persons with a union-find over the records' folded keys."""
    records = leads.to_dicts()
    rank = rank_reference([(row["source"], row["source_id"], row["created_at"])
                           for row in records])
    email_keys = [fold_reference(row["email"]) for row in records]
    domains = [DOMAINS.get((row["source"], row["account_id"])) for row in records]
    name_keys = [fold_reference(row["full_name"]) if domain else None
                 for row, domain in zip(records, domains, strict=True)]

    parent = list(range(len(records)))

    def root(index: int) -> int:
        while parent[index] != index:
            index = parent[index]
        return index

    first_with_key: dict[tuple, int] = {}
    for index in range(len(records)):
        keys = []
        if email_keys[index] is not None:
            keys.append(("email", email_keys[index]))
        if domains[index] is not None and name_keys[index] is not None:
            keys.append(("name", domains[index], name_keys[index]))
        for key in keys:
            other = first_with_key.setdefault(key, index)
            parent[root(index)] = root(other)

    earliest: dict[int, int] = {}
    for index in range(len(records)):
        group = root(index)
        if group not in earliest or rank[index] < rank[earliest[group]]:
            earliest[group] = index
    first = [earliest[root(index)] for index in range(len(records))]
    return {
        "source": [row["source"] for row in records],
        "source_id": [row["source_id"] for row in records],
        "person_id": [f"{records[index]['source']}:{records[index]['source_id']}"
                      for index in first],
        "email_key": email_keys,
        "name_key": name_keys,
        "domain": domains,
        "is_first_touch": [first[index] == index for index in range(len(records))],
        "rank": rank,
        "label": [rank[index] for index in first],
    }


@SETTINGS
@given(person_rows)
def test_resolve_persons_matches_union_find(rows: list[dict]) -> None:
    leads = person_leads(rows)

    resolved = resolve_persons(leads, ACCOUNTS)

    expected = persons_reference(leads)
    assert resolved.columns == list(expected)
    for name, values in expected.items():
        assert resolved.get_column(name).to_list() == values, name


def test_resolve_persons_chain_is_one_person() -> None:
    leads = leads_frame([
        # A and B share an email. B and C share the domain alpha.example.jp, through two
        # different accounts, and a name. A and C share nothing, and C is the earliest.
        {"source": "sf", "source_id": "A", "created_at": START + timedelta(hours=1),
         "email": "taro@x.jp", "full_name": "Someone Else", "account_id": None},
        {"source": "sf", "source_id": "B", "created_at": START + timedelta(hours=2),
         "email": "ＴＡＲＯ＠ｘ．ｊｐ", "full_name": "山田 太郎", "account_id": "A1"},
        {"source": "sf", "source_id": "C", "created_at": START,
         "email": None, "full_name": "山田太郎", "account_id": "A2"},
        {"source": "sf", "source_id": "D", "created_at": START + timedelta(hours=3),
         "email": "other@x.jp", "full_name": "山田 太郎", "account_id": "A3"},
    ])

    resolved = resolve_persons(leads, ACCOUNTS)

    # D has the same name as B and C but at beta.example.jp, so it stays on its own.
    assert resolved.get_column("person_id").to_list() == ["sf:C", "sf:C", "sf:C", "sf:D"]
    assert resolved.get_column("is_first_touch").to_list() == [False, False, True, True]
    assert resolved.get_column("label").to_list() == [0, 0, 0, 3]


def test_resolve_persons_keeps_input_order() -> None:
    leads = leads_frame([
        {"source": "sf", "source_id": "Z", "created_at": START + timedelta(hours=5),
         "email": "a@x.jp", "full_name": None, "account_id": None},
        {"source": "hs", "source_id": "M", "created_at": None,
         "email": "A@X.JP", "full_name": None, "account_id": None},
        {"source": "sf", "source_id": "B", "created_at": START,
         "email": "b@x.jp", "full_name": None, "account_id": None},
    ])

    resolved = resolve_persons(leads, ACCOUNTS)

    assert resolved.get_column("source_id").to_list() == ["Z", "M", "B"]
    # Z and M share an email. M has no creation time, so Z is the earlier of the two.
    assert resolved.get_column("person_id").to_list() == ["sf:Z", "sf:Z", "sf:B"]
    assert resolved.get_column("rank").to_list() == [1, 2, 0]


@pytest.mark.parametrize("account_id", [None, "A4", "A5", "A9"])
def test_name_without_domain_never_links(account_id: str | None) -> None:
    # A4's website has no dot, A5 has no website and A9 is in no account table: none of
    # them gives a domain, so equal names on them stay two persons.
    leads = leads_frame([
        {"source": "sf", "source_id": "P", "created_at": START, "email": "p@x.jp",
         "full_name": "山田 太郎", "account_id": account_id},
        {"source": "sf", "source_id": "Q", "created_at": START + timedelta(hours=1),
         "email": "q@x.jp", "full_name": "山田太郎", "account_id": account_id},
    ])

    resolved = resolve_persons(leads, ACCOUNTS)

    assert resolved.get_column("person_id").to_list() == ["sf:P", "sf:Q"]
    assert resolved.get_column("name_key").to_list() == [None, None]


def test_name_without_account_table_never_links() -> None:
    leads = leads_frame([
        {"source": "sf", "source_id": "P", "created_at": START, "email": None,
         "full_name": "山田 太郎", "account_id": "A1"},
        {"source": "sf", "source_id": "Q", "created_at": START, "email": None,
         "full_name": "山田太郎", "account_id": "A1"},
    ])

    resolved = resolve_persons(leads)

    assert resolved.get_column("person_id").to_list() == ["sf:P", "sf:Q"]
    assert resolved.get_column("domain").to_list() == [None, None]


def test_domain_is_per_source() -> None:
    # sf:A1 is alpha.example.jp but hs:A1 is beta.example.jp, and hs:A6 is
    # alpha.example.jp again.
    leads = leads_frame([
        {"source": "sf", "source_id": "P", "created_at": START, "email": None,
         "full_name": "Taro Yamada", "account_id": "A1"},
        {"source": "hs", "source_id": "Q", "created_at": START + timedelta(hours=1),
         "email": None, "full_name": "taro yamada", "account_id": "A1"},
        {"source": "hs", "source_id": "R", "created_at": START + timedelta(hours=2),
         "email": None, "full_name": "TARO\u3000YAMADA", "account_id": "A6"},
    ])

    resolved = resolve_persons(leads, ACCOUNTS)

    assert resolved.get_column("domain").to_list() == [
        "alpha.example.jp", "beta.example.jp", "alpha.example.jp"]
    assert resolved.get_column("person_id").to_list() == ["sf:P", "hs:Q", "sf:P"]


def persons_of_joined_names(emails: list[str | None]) -> list[str]:
    """Resolve P (x.jp, "a\\x1fb") and Q ("x.jp\\x1fa", "b"): joined with \\x1f they read alike."""
    created = datetime(2025, 4, 1, tzinfo=UTC)
    leads = pl.DataFrame({
        "source": ["sf"] * 4, "source_id": ["P", "Q", "R", "S"], "created_at": [created] * 4,
        "email": emails, "full_name": ["a\x1fb", "b", None, None],
        "account_id": ["A1", "A2", None, None]})
    accounts = pl.DataFrame({"source": ["sf", "sf"], "source_id": ["A1", "A2"],
                             "domain": ["x.jp", "x.jp\x1fa"]})
    return resolve_persons(leads, accounts).get_column("person_id").to_list()


@pytest.mark.parametrize("emails", [
    [None, None, None, None],
    # R shares P's email and S shares Q's, so P and Q are both compared by their keys.
    ["p@q.jp", "q@q.jp", "p@q.jp", "q@q.jp"],
], ids=["no emails", "emails shared with others"])
def test_domain_and_name_compared_as_pair(emails: list[str | None]) -> None:
    found = persons_of_joined_names(emails)

    assert found[0] != found[1]
