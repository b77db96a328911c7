"""Gazetteer: lookup of entity texts, spans in running text, ruler patterns, shipped data."""

from __future__ import annotations

import re

import pytest

from services.extract.gazetteer import KINDS, CanonicalRef, Gazetteer, normalise

# The 193 UN member states by ISO 3166-1 alpha-3 (UN membership list, 2011 onwards).
_UN_MEMBERS_TEXT = """
AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA BRA
BRN BGR BFA BDI CPV KHM CMR CAN CAF TCD CHL CHN COL COM COG COD CRI CIV HRV CUB CYP CZE DNK DJI
DMA DOM ECU EGY SLV GNQ ERI EST SWZ ETH FJI FIN FRA GAB GMB GEO DEU GHA GRC GRD GTM GIN GNB GUY
HTI HND HUN ISL IND IDN IRN IRQ IRL ISR ITA JAM JPN JOR KAZ KEN KIR PRK KOR KWT KGZ LAO LVA LBN
LSO LBR LBY LIE LTU LUX MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM MDA MCO MNG MNE MAR MOZ MMR
NAM NRU NPL NLD NZL NIC NER NGA MKD NOR OMN PAK PLW PAN PNG PRY PER PHL POL PRT QAT ROU RUS RWA
KNA LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM ZAF SSD ESP LKA SDN SUR SWE CHE
SYR TJK TZA THA TLS TGO TON TTO TUN TUR TKM TUV UGA UKR ARE GBR USA URY UZB VUT VEN VNM YEM ZMB
ZWE
"""
UN_MEMBERS = _UN_MEMBERS_TEXT.split()


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.default()


LOOKUPS = [
    # States by name, alternative name, case and punctuation.
    ("Russia", "RUS"),
    ("russia", "RUS"),
    ("RUSSIA", "RUS"),
    ("the Russian Federation", "RUS"),
    ("  Ukraine ", "UKR"),
    ("Ivory Coast", "CIV"),
    ("Cote d'Ivoire", "CIV"),
    ("Burma", "MMR"),
    ("U.S.", "USA"),
    ("US", "USA"),
    ("U.K.", "GBR"),
    ("U.S", "USA"),
    ("Yugoslav", "YUG"),
    ("Britain", "GBR"),
    # Possessives.
    ("Russia's", "RUS"),
    ("Russia\u2019s", "RUS"),
    ("Ukraine's", "UKR"),
    ("Americans'", "USA"),
    # Demonyms, singular and plural.
    ("Russian", "RUS"),
    ("Russians", "RUS"),
    ("Ukrainian", "UKR"),
    ("American", "USA"),
    ("Americans", "USA"),
    ("British", "GBR"),
    ("Israeli", "ISR"),
    ("Israelis", "ISR"),
    ("Chinese", "CHN"),
    ("North Korean", "PRK"),
    ("South Koreans", "KOR"),
    ("Soviet", "SUN"),
    # Capitals and seats of power standing for the government.
    ("Moscow", "RUS"),
    ("the Kremlin", "RUS"),
    ("Kremlin's", "RUS"),
    ("Kyiv", "UKR"),
    ("Kiev", "UKR"),
    ("Washington", "USA"),
    ("the Pentagon", "USA"),
    ("The White House", "USA"),
    ("Foggy Bottom", "USA"),
    ("Downing Street", "GBR"),
    ("Whitehall", "GBR"),
    ("the Elysee", "FRA"),
    ("\u00c9lys\u00e9e", "FRA"),
    ("Beijing", "CHN"),
    ("Zhongnanhai", "CHN"),
    ("Tehran", "IRN"),
    ("Pyongyang", "PRK"),
    # Alliances and organisations.
    ("NATO", "Q7184"),
    ("the North Atlantic Treaty Organization", "Q7184"),
    ("EU", "Q458"),
    ("European Union", "Q458"),
    ("U.N.", "Q1065"),
    ("United Nations", "Q1065"),
    ("OSCE", "Q81299"),
    ("African Union", "Q7159"),
    # Armed forces and armed groups.
    ("Hezbollah", "Q41053"),
    ("Hamas", "Q38799"),
    ("the Taliban", "Q42418"),
    ("Red Army", "force:red-army"),
    ("IDF", "force:idf"),
    ("Bundeswehr", "force:bundeswehr"),
    ("PLA", "force:pla"),
    ("Wagner Group", "force:wagner-group"),
    ("National Guard", "force:us-national-guard"),
    # Longer phrases: state or organisation followed by institution words.
    ("Russian Special Forces", "RUS"),
    ("The Russian Foreign Ministry", "RUS"),
    ("the Israeli army", "ISR"),
    ("U.S. Marines", "USA"),
    ("NATO officials", "Q7184"),
    # Descriptions that stand for NATO in military news.
    ("the 28-member bloc", "Q7184"),
    ("the Western alliance", "Q7184"),
    ("the 30-nation alliance", "Q7184"),
    # Places, with directional modifiers.
    ("Crimea", "Q7835"),
    ("Crimea's", "Q7835"),
    ("Gaza", "Q39760"),
    ("the Gaza Strip", "Q39760"),
    ("West Bank", "Q36678"),
    ("Golan Heights", "Q83210"),
    ("Kashmir", "Q43100"),
    ("Kosovo", "Q1246"),
    ("Taiwan", "TWN"),
    ("Donbass", "place:donbas"),
    ("Lugansk", "place:luhansk"),
    ("Rostov", "place:rostov-oblast"),
    ("the Rostov region", "place:rostov-oblast"),
    ("southern Rostov Region", "place:rostov-oblast"),
    ("eastern Ukraine", "UKR"),
    ("Nagorno-Karabakh", "place:nagorno-karabakh"),
    ("Fallujah", "place:fallujah"),
    ("Falluja", "place:fallujah"),
    # People, bare or with titles.
    ("Stoltenberg", "Q57282"),
    ("Jens Stoltenberg", "Q57282"),
    ("NATO Secretary General Jens Stoltenberg", "Q57282"),
    ("Putin", "Q7747"),
    ("President Putin", "Q7747"),
    ("Zelenskyy", "Q3874799"),
    ("Lavrov", "person:sergei-lavrov"),
    ("Grushko", "person:alexander-grushko"),
]


@pytest.mark.parametrize(("text", "expected"), LOOKUPS, ids=[t for t, _ in LOOKUPS])
def test_lookup_resolves_known_names(gaz: Gazetteer, text: str, expected: str) -> None:
    """Names, demonyms, metonyms, possessives and titled names resolve to the canonical id."""
    ref = gaz.lookup(text)
    assert ref is not None
    assert ref.id == expected


UNKNOWN = [
    "",
    "   ",
    "the",
    "Michael Jordan",
    "Laura Bush",
    "Reuters",
    "Russian Orthodox Church",
    "American Airlines",
]


@pytest.mark.parametrize("text", UNKNOWN, ids=[repr(t) for t in UNKNOWN])
def test_lookup_returns_none_for_unknown_or_foreign_names(gaz: Gazetteer, text: str) -> None:
    """Texts that are not, or do not name, a known party give None rather than a guess."""
    assert gaz.lookup(text) is None


REGIONS = ["South America", "Central America", "Latin America", "North Africa", "Central Asia"]


@pytest.mark.parametrize("text", REGIONS, ids=REGIONS)
def test_regions_are_not_read_as_states(gaz: Gazetteer, text: str) -> None:
    """A direction word before a continent never turns it into a state ("South America")."""
    ref = gaz.lookup(text)
    assert ref is not None
    assert ref.kind == "place"


def test_lookup_returns_the_refs_kind_and_canonical_name(gaz: Gazetteer) -> None:
    """A ref carries its kind and English name; places their state, people whom they speak for."""
    assert gaz.lookup("Kremlin") == CanonicalRef(id="RUS", name="Russia", kind="state")
    rostov = gaz.lookup("Rostov")
    assert rostov is not None
    assert (rostov.kind, rostov.country) == ("place", "RUS")
    stoltenberg = gaz.lookup("Stoltenberg")
    assert stoltenberg is not None
    assert (stoltenberg.kind, stoltenberg.name) == ("person", "Jens Stoltenberg")


PARTIES = [("Stoltenberg", "Q7184"), ("Lavrov", "RUS"), ("IDF", "ISR"), ("Russia", "RUS")]


@pytest.mark.parametrize(("text", "expected"), PARTIES, ids=[t for t, _ in PARTIES])
def test_party_follows_affiliation_to_the_claimant(
    gaz: Gazetteer, text: str, expected: str
) -> None:
    """party() maps a person or force to the organisation or state it speaks for."""
    ref = gaz.lookup(text)
    assert ref is not None
    assert gaz.party(ref).id == expected


def test_normalise_folds_case_accents_punctuation_and_possessive() -> None:
    """Keys ignore case, accents, dots, hyphens, a leading "the" and a trailing "'s"."""
    assert normalise("The  \u00c9lys\u00e9e's") == "elysee"
    assert normalise("U.S.-led") == "us led"
    assert normalise("Guinea-Bissau") == normalise("guinea bissau")


def test_shipped_data_covers_every_un_member_state(gaz: Gazetteer) -> None:
    """Every UN member state is present under its ISO alpha-3 code with kind "state"."""
    missing = [code for code in UN_MEMBERS if (ref := gaz.get(code)) is None or ref.kind != "state"]
    assert len(UN_MEMBERS) == 193
    assert missing == []


def test_shipped_data_ids_and_references_are_well_formed(gaz: Gazetteer) -> None:
    """Ids are ISO codes, QIDs or slugs; every country/affiliation points at a known entry."""
    assert len(list(gaz)) == len(gaz) > 193
    for ref in gaz:
        assert ref.kind in KINDS
        if ref.kind == "state":
            assert re.fullmatch(r"[A-Z]{3}|Q\d+", ref.id), ref
        else:
            assert re.fullmatch(r"Q\d+|[a-z]+:[a-z0-9-]+", ref.id), ref
        for target in (ref.country, ref.affiliation):
            assert target is None or gaz.get(target) is not None, ref


def test_default_is_loaded_once() -> None:
    """default() returns the same parsed instance on every call."""
    assert Gazetteer.default() is Gazetteer.default()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"states": {"RUS": {"name": "Russia"}, "XYZ": {"name": "Russia"}}}, None),
        ({"entities": [{"id": "a:b", "name": "A", "kind": "planet"}]}, "unknown kind"),
        (
            {"entities": [{"id": "a:b", "name": "A", "kind": "place"}] * 2},
            "duplicate id",
        ),
        ({"entities": [{"id": "a:b", "name": "A", "kind": "place", "aliases": "B"}]}, "list"),
    ],
    ids=["two-ids-same-name-ok", "unknown-kind", "duplicate-id", "aliases-not-a-list"],
)
def test_malformed_data_is_rejected(data: dict[str, object], message: str | None) -> None:
    """A bad kind, a duplicate id or a non-list alias field raises ValueError naming it."""
    if message is None:
        assert len(Gazetteer(data)) == 2
        return
    with pytest.raises(ValueError, match=message):
        Gazetteer(data)


SEED_SENTENCE = (
    "BRUSSELS, November 4 (RIA Novosti) \u2014 NATO has recently been seeing Russian troops "
    "approaching the Ukrainian border, alliance's Secretary General Jens Stoltenberg said Tuesday."
)


def test_find_all_spans_point_into_the_text(gaz: Gazetteer) -> None:
    """Each span slices the text to a name that resolves to the same ref, in text order."""
    found = gaz.find_all(SEED_SENTENCE)
    assert [ref.id for _, _, ref in found] == ["Q7184", "RUS", "UKR", "Q57282"]
    for start, end, ref in found:
        assert gaz.lookup(SEED_SENTENCE[start:end]) == ref
    assert [SEED_SENTENCE[s:e] for s, e, _ in found][-1] == "Jens Stoltenberg"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Let us see what the U.S. does", ["U.S."]),
        ("US-led forces and the us pronoun", ["US-led"]),
        ("Russia's troops near Rostov-on-Don", ["Russia", "Rostov-on-Don"]),
        ("the People's Liberation Army moved", ["People's Liberation Army"]),
        ("Michael Jordan visited Chad and Jordan", []),
        ("a turkey and china plates", []),
        ("\U0001f600 Crimea", ["Crimea"]),
    ],
    ids=[
        "pronoun-us",
        "hyphen",
        "possessive",
        "inner-possessive",
        "ambiguous",
        "lowercase",
        "emoji",
    ],
)
def test_find_all_matches_only_capitalised_unambiguous_names(
    gaz: Gazetteer, text: str, expected: list[str]
) -> None:
    """Acronyms need capitals, ambiguous aliases never match, "'s" stays outside the span."""
    assert [text[s:e] for s, e, _ in gaz.find_all(text)] == expected


def test_patterns_are_ruler_ready_and_leave_out_demonyms_and_ambiguous_names(
    gaz: Gazetteer,
) -> None:
    """Patterns carry a known id and an NER label; no demonyms, no lookup-only aliases."""
    patterns = gaz.patterns()
    by_text = {p["pattern"]: p for p in patterns}
    assert {p["label"] for p in patterns} <= {"GPE", "NORP", "ORG", "PERSON", "LOC"}
    assert all(gaz.get(p["id"]) is not None for p in patterns)
    assert by_text["Stoltenberg"]["label"] == "PERSON"
    assert by_text["Rostov"]["label"] in {"GPE", "LOC"}
    assert by_text["Kremlin"] == {"label": "ORG", "pattern": "Kremlin", "id": "RUS"}
    assert by_text["MOSCOW"]["id"] == "RUS"
    for absent in ("Russian", "Americans", "Jordan", "Chad", "Powell", "us", "Us"):
        assert absent not in by_text
