"""Event triggers of war reporting (`claims/events.py`) through the whole extractor: captures
and control of places, raids inside a country, arrivals, claimed presence, expulsions and
force levels give the right movement and place; near misses give nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from spacy.language import Language

from services.extract.claims import ClaimExtractor, claim_to_json
from services.extract.claims.detect import find_triggers

WHEN = datetime(2022, 6, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def nlp() -> Language:
    from services.extract.batch import load_nlp

    return load_nlp()


@pytest.fixture(scope="module")
def rules(nlp: Language) -> ClaimExtractor:
    return ClaimExtractor(nlp=nlp, detector=None)


def _claims(nlp: Language, extractor: ClaimExtractor, text: str) -> list[dict[str, object]]:
    return [claim_to_json(c) for c in extractor.extract(nlp(text), item_id="t", published_at=WHEN)]


@pytest.mark.parametrize(
    ("text", "movement", "place"),
    [
        ("Rebel forces recaptured the town of Dessie on Sunday", "advance", "Dessie"),
        ("Army says it has retaken the city of Bakhmut", "advance", "Bakhmut"),
        ("Turkey says its troops seized control of the village of Kobani", "advance", "Kobani"),
        ("The capture of Izium by Russian forces was confirmed", "advance", "Izium"),
        ("French special forces conduct raid in Mali, army says", "advance", "Mali"),
        ("First German troops land in Lithuania", "deploy", "Lithuania"),
        ("Russian troops in Moldova pose a threat, minister says", "deploy", "Moldova"),
        ("Chinese troops at the Indian border worry Delhi", "buildup", "the Indian border"),
        ("Ukraine drives Russian troops from the island of Zmiinyi", "withdraw", "Zmiinyi"),
        ("NATO will increase its high-readiness forces to 300,000", "buildup", None),
        ("Kherson is now 70 percent liberated, the governor said", "advance", "Kherson"),
        ("Civilians returned to Kupiansk, which Ukrainian forces recaptured last month",
         "advance", "Kupiansk"),
        ("Moldova, where Russian-backed militia have taken control, is tense", "advance",
         "Moldova"),
        ("Direct Iranian military involvement in Yemen was reported", "deploy", "Yemen"),
        ("The vote was followed by Turkey's move into northern Syria", "advance", "Syria"),
        ("China preparing to attack Taiwan by 2027, officials say", "advance", "Taiwan"),
        ("Seoul warns Pyongyang has plans for an attack on South Korea", "advance",
         "South Korea"),
        ("Azerbaijan loses positions after heavy shelling", "withdraw", None),
        ("Korea tracks six Russian warships near its territory", "buildup", "territory"),
        ("Rebels withdraw from the outskirts of Goma", "withdraw", "Goma"),
        ("Separatist rebels approach the regional capital", "advance", "capital"),
        ("Russia steps up movement of military hardware towards Belarus", "buildup",
         "Belarus"),
        ("Monitors said the army removed the weapons from the depot", "withdraw", "depot"),
        ("Turkey declares intent to control northern Iraq", "advance", "Iraq"),
        ("A Russian spy ship was spotted off Ireland's coast", "buildup", "coast"),
        ("Macron announces a permanent French troop presence in Romania", "deploy", "Romania"),
        ("The US military installs a missile-defense system in Guam", "deploy", "Guam"),
        ("The soldiers backed away from the checkpoint", "withdraw", "checkpoint"),
        ("The Ukrainian flag was raised over Kherson on Friday", "advance", "Kherson"),
        ("Serbia sends out conscription notices to reservists", "buildup", None),
        ("Ukraine threw its reserves into the Bakhmut direction", "buildup", "Bakhmut"),
        ("Analysts say Chinese troop levels on the Indian border reached 50,000", "buildup",
         "border"),
        ("Israeli troops reach the outskirts of Rafah", "advance", "Rafah"),
        ("A military intervention in Libya was out of the question, diplomats said", "advance",
         "Libya"),
    ],
    ids=["recaptured", "retaken", "control-of", "capture-noun", "raid-in", "land-in",
         "presence-in", "presence-at-border", "driven-from", "force-level", "liberated-adj",
         "relative-capture", "control-where", "involvement", "move-into", "planned-attack",
         "plans-for-attack", "lost-positions", "warships-near", "rebels-withdraw",
         "rebels-approach", "hardware-movement", "removed-weapons", "intent-to-control",
         "ship-spotted-off", "presence-announced", "installs", "backed-away", "flag-raised",
         "conscription", "reserves-thrown", "troop-levels", "reach-outskirts",
         "intervention-ruled-out"],
)
def test_event_claims(
    nlp: Language, rules: ClaimExtractor, text: str, movement: str, place: str | None
) -> None:
    """Each event pattern yields a claim of its movement, with the place as written."""
    claims = _claims(nlp, rules, text)
    assert [c["movement"] for c in claims] == [movement]
    if place is None:
        assert claims[0]["location"] is None
    else:
        assert place in (claims[0]["location"] or "")


@pytest.mark.parametrize(
    "text",
    [
        "Police seized the building of the city council",
        "The company took control of the airline last year",
        "Tourists land in Crete as the season opens",
        "Russian troops in Ukraine lose morale, report says",
        "NATO will increase spending on its forces",
        "Iran's involvement in the talks was welcomed",
        "Russia warns of attacks on Ukraine",
        "The team loses ground in the league",
        "The separatist movement grew in the region",
        "He returned to the rebel stronghold of Donetsk",
        "The lack of a NATO military presence in Moldova worries Chisinau",
        "In Finland, conscription is organised as a yearly training cycle",
        "A US plutonium shipment reaches France",
        "The company threw a party in Paris",
    ],
    ids=["building", "company-control", "tourists", "presence-no-foreign-place",
         "spending-not-level", "involvement-not-military", "attack-not-planned",
         "sports-ground", "political-movement", "rebel-as-modifier", "presence-lacking",
         "conscription-system", "shipment-reaches", "threw-a-party"],
)
def test_event_near_misses(nlp: Language, text: str) -> None:
    """No event trigger for buildings, companies, civilians, a force named only where it
    fights, or money spent on forces."""
    from services.extract.claims.events import event_trigger

    doc = nlp(text)
    for sent in doc.sents:
        assert all(event_trigger(tok, sent) is None for tok in sent)
        assert not [t for t in find_triggers(sent) if t.movement in ("advance", "deploy")] or (
            text.startswith("Russian troops in Ukraine")
        )


def test_ruled_out_intervention_is_denied(nlp: Language, rules: ClaimExtractor) -> None:
    """ "Out of the question" denies the move it is said of."""
    claims = _claims(nlp, rules, "A military intervention was out of the question, he said.")
    assert [(c["movement"], c["polarity"]) for c in claims] == [("advance", "denied")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Poland can transfer tanks and artillery to Ukraine", []),
        ("Poland will transfer two battalions to its eastern border", ["deploy"]),
        ("McDonald's to exit Russia over the war", []),
        ("Oil company executives are leaving Argentina after the scandal", []),
    ],
    ids=["arms-transfer", "unit-transfer", "company-exit", "executives-leaving"],
)
def test_handovers_and_businesses(
    nlp: Language, rules: ClaimExtractor, text: str, expected: list[str]
) -> None:
    """Weapons handed over and businesses leaving a country are not force movements; units
    transferred somewhere are."""
    assert [c["movement"] for c in _claims(nlp, rules, text)] == expected


def test_described_alliance_gets_its_canonical_id(nlp: Language, rules: ClaimExtractor) -> None:
    """A claimant named by description ("the 28-member bloc") carries NATO's id."""
    text = "The 28-member bloc said Russia had massed troops near the Ukrainian border."
    claims = _claims(nlp, rules, text)
    assert [(c["movement"], c["claimant_id"]) for c in claims] == [("buildup", "Q7184")]
