"""Word lists the claim rules read: movement triggers, force nouns, cues for attribution,
denial, demands, conditions and time. Consumes nothing; every set holds spaCy lemmas in lower
case, so the rules match inflected forms ("amassed", "pulling", "withdrawals") alike.
"""

from __future__ import annotations

from typing import Final

BUILDUP: Final = "buildup"
DEPLOY: Final = "deploy"
ADVANCE: Final = "advance"
WITHDRAW: Final = "withdraw"

# Nouns that name armed forces or their hardware on their own.
FORCE_NOUNS: Final = frozenset(
    {
        "troop",
        "soldier",
        "marine",
        "guardsman",
        "guardsmen",
        "paratrooper",
        "commando",
        "peacekeeper",
        "reservist",
        "infantry",
        "infantryman",
        "tank",
        "warship",
        "warplane",
        "battlegroup",
        "battalion",
        "regiment",
        "contingent",
        "gunship",
        "submarine",
        "destroyer",
        "frigate",
        "army",
        "navy",
        "artillery",
        "armour",
        "armor",
        "serviceman",
        "servicemen",
        "reinforcement",
        "legionnaire",
        "sailor",
        "airman",
        "ranger",
        "bomber",
        "fighter-jet",
        "personnel",
        "military",
        "corvette",
        "cruiser",
        "brigade",
    }
)
# Nouns that are forces only with a military modifier ("military vehicles", "fighter jets").
QUALIFIED_FORCE_NOUNS: Final = frozenset(
    {
        "force",
        "unit",
        "division",
        "vehicle",
        "jet",
        "plane",
        "aircraft",
        "helicopter",
        "weaponry",
        "equipment",
        "hardware",
        "level",
        "presence",
        "mission",
        "ship",
        "guard",
        "boat",
        "fleet",
        "squadron",
        "convoy",
        "column",
        "group",
        "deployment",
        "contingent",
        "engineer",
    }
)
MILITARY_MODIFIERS: Final = frozenset(
    {
        "military",
        "armed",
        "ground",
        "special",
        "security",
        "government",
        "coalition",
        "peacekeeping",
        "naval",
        "air",
        "combat",
        "fighter",
        "heavy",
        "armored",
        "armoured",
        "national",
        "troop",
        "elite",
        "rapid",
        "reaction",
        "army",
        "navy",
        "war",
        "task",
        "allied",
        "foreign",
        "federal",
        "nato",
        "un",
        "u.n.",
        "au",
        "eu",
        "battle",
    }
)
# Modifiers of civil craft: "a China Eastern commuter plane" is no force.
CIVIL_CRAFT: Final = frozenset(
    {"commuter", "passenger", "cargo", "commercial", "fishing", "merchant", "private",
     "airline", "airlines", "tourist", "rescue"}
)
# Extra things a state may be said to move across a border besides its own troops.
STATE_CARGO: Final = frozenset(
    {
        "weapon",
        "weaponry",
        "arm",
        "arms",
        "equipment",
        "rebel",
        "fighter",
        "mercenary",
        "volunteer",
        "militant",
    }
)
# Organisations whose own forces count as actors.
FORCE_ORGS: Final = frozenset(
    {
        "nato",
        "un",
        "u.n.",
        "au",
        "african union",
        "united nations",
        "eu",
        "european union",
        "alliance",
        "coalition",
        "bloc",
        "pentagon",
        "kremlin",
    }
)

# Motion verbs that become `advance` with into/across/onto, or a place object.
ADVANCE_MOTION: Final = frozenset(
    {
        "move",
        "roll",
        "push",
        "thrust",
        "surge",
        "pour",
        "drive",
        "charge",
        "sweep",
        "march",
        "rumble",
        "advance",
        "press",
        "cross",
        "go",
        "head",
        "venture",
        "race",
        "stream",
        "power",
        "fight",
        "smash",
        "burst",
        "crash",
        "plunge",
        "penetrate",
        "intrude",
        "spill",
        "enter",
        "come",
        "return",
        "storm",
        "raid",
        "barrel",
        "punch",
        "roar",
        "blast",
        "slice",
        "troop",
        "edge",
        "creep",
        "funnel",
        "send",
        "deploy",
        "cut",
        "break",
        "swarm",
        "invade",
        "take",
        "carry",
        "pass",
        "sail",
    }
)
# Transit verbs that also count with through/between ("warships sailed through the strait").
TRANSIT_VERBS: Final = frozenset({"pass", "sail", "fly"})
ADVANCE_PREPS: Final = frozenset({"into", "across", "onto", "inside"})
# Verbs whose direct object is the place entered.
ADVANCE_PLACE_OBJECT: Final = frozenset(
    {
        "enter",
        "cross",
        "invade",
        "raid",
        "storm",
        "penetrate",
        "occupy",
        "overrun",
        "infiltrate",
        "violate",
        "breach",
        "transit",
        "reach",
    }
)
# Verbs that name an attack on a country by themselves: a state object is enough.
INVASION_VERBS: Final = frozenset({"invade"})
# Places a returning force goes back to: a return there ends a deployment.
HOME_PLACES: Final = frozenset(
    {"base", "bases", "barrack", "barracks", "garrison", "home", "station"}
)
# Nouns that a force joins when it deploys ("jets will join the NATO mission").
JOINABLE: Final = frozenset(
    {
        "mission",
        "operation",
        "force",
        "coalition",
        "contingent",
        "deployment",
        "patrol",
        "battlegroup",
    }
)
# Pre-modifiers that make a movement noun speculative ("potential invasion").
HYPOTHETICAL_MODS: Final = frozenset(
    {
        "potential",
        "possible",
        "hypothetical",
        "feared",
        "imminent",
        "looming",
        "threatened",
        "prospective",
        "future",
        "eventual",
    }
)
# Verbs and nouns under which an invasion is reported as happening, not named as background.
INVASION_EVENT_HEADS: Final = frozenset(
    {
        "launch",
        "begin",
        "start",
        "order",
        "mount",
        "continue",
        "unfold",
        "resume",
        "halt",
        "stop",
        "deny",
        "rule",
        "reject",
        "sign",
        "evidence",
        "plan",
        "prepare",
        "report",
    }
)
# Activities that are not places, though they follow "for" or "in" ("troops for drills").
NOT_PLACES: Final = frozenset(
    {
        "drill",
        "exercise",
        "training",
        "manoeuvre",
        "maneuver",
        "alert",
        "war",
        "help",
        "talk",
        "support",
        "end",
        "time",
        "way",
        "year",
        "power",
        "court",
        "fight",
        "battle",
    }
)
ADVANCE_NOUNS: Final = frozenset(
    {"incursion", "invasion", "raid", "crossing", "thrust", "infiltration"}
)
PLACE_NOUNS: Final = frozenset(
    {
        "camp",
        "town",
        "city",
        "village",
        "territory",
        "neighborhood",
        "neighbourhood",
        "slum",
        "district",
        "province",
        "region",
        "country",
        "area",
        "zone",
        "water",
        "waters",
        "airspace",
        "border",
        "frontier",
        "outskirt",
        "outskirts",
        "suburb",
        "capital",
        "strip",
        "valley",
        "enclave",
        "quarter",
        "center",
        "centre",
        "heart",
        "street",
        "port",
        "base",
        "island",
        "peninsula",
        "state",
        "republic",
    }
)
BORDER_NOUNS: Final = frozenset({"border", "frontier", "boundary", "front", "line", "borderline"})
# What foreign forces are seen near: a border, or a state's territory, waters or coast.
NEAR_NOUNS: Final = BORDER_NOUNS | frozenset({"territory", "water", "waters", "coast", "airspace"})

DEPLOY_VERBS: Final = frozenset(
    {
        "deploy",
        "send",
        "dispatch",
        "station",
        "post",
        "base",
        "airlift",
        "fly",
        "ship",
        "rush",
        "transfer",
        "arrive",
        "scatter",
        "position",
        "garrison",
        "host",
        "commit",
        "contribute",
        "despatch",
        "dispatched",
        "relocate",
        "redeploy",
        "move",
        "go",
        "head",
        "return",
        "install",
    }
)
DEPLOY_NOUNS: Final = frozenset({"deployment", "dispatch", "stationing", "arrival"})
# Deploy verbs that need an explicit destination ("flew to", "went to") to count.
DEPLOY_NEEDS_DESTINATION: Final = frozenset(
    {
        "fly",
        "ship",
        "rush",
        "transfer",
        "arrive",
        "move",
        "go",
        "head",
        "relocate",
        "return",
        "scatter",
        "position",
        "commit",
        "contribute",
        "install",
    }
)

# Verbs that are buildup only when their object is forces or a military presence.
BUILDUP_GROWTH: Final = frozenset(
    {
        "build",
        "bolster",
        "boost",
        "increase",
        "strengthen",
        "expand",
        "beef",
        "swell",
        "step",
        "double",
        "triple",
        "augment",
    }
)
BUILDUP_VERBS: Final = (
    frozenset(
        {
            "mass",
            "amass",
            "concentrate",
            "mobilise",
            "mobilize",
            "reinforce",
            "muster",
            "assemble",
            "gather",
            "approach",
        }
    )
    | BUILDUP_GROWTH
)
BUILDUP_NOUNS: Final = frozenset(
    {
        "buildup",
        "build-up",
        "concentration",
        "mobilisation",
        "mobilization",
        "massing",
        "increase",
        "reinforcement",
        "mass",
        "movement",
        "conscription",
        "call-up",
    }
)

WITHDRAW_VERBS: Final = frozenset(
    {
        "withdraw",
        "pull",
        "retreat",
        "leave",
        "evacuate",
        "quit",
        "exit",
        "depart",
        "reduce",
        "cut",
        "trim",
        "halve",
        "shrink",
        "scale",
        "wind",
        "draw",
        "ease",
        "end",
        "redeploy",
        "withdrew",
        "bring",
        "abandon",
        "vacate",
        "disengage",
    }
)
# Withdraw verbs that apply to forces or to an offensive ("scale back its offensive").
WITHDRAW_REDUCTION: Final = frozenset(
    {"reduce", "cut", "trim", "halve", "shrink", "scale", "wind", "draw", "ease", "end"}
)
WITHDRAW_NOUNS: Final = frozenset(
    {
        "withdrawal",
        "pullout",
        "pull-out",
        "pullback",
        "retreat",
        "disengagement",
        "evacuation",
        "drawdown",
        "draw-down",
        "reduction",
        "redeployment",
        "departure",
        "exit",
    }
)
OPERATION_NOUNS: Final = frozenset(
    {
        "offensive",
        "assault",
        "operation",
        "incursion",
        "campaign",
        "occupation",
        "presence",
        "deployment",
        "mission",
        "commitment",
    }
)

REPORT_VERBS: Final = frozenset(
    {
        "say",
        "tell",
        "claim",
        "report",
        "announce",
        "state",
        "add",
        "accuse",
        "allege",
        "insist",
        "confirm",
        "admit",
        "acknowledge",
        "warn",
        "note",
        "declare",
        "assert",
        "maintain",
        "quote",
        "disclose",
        "reveal",
        "write",
        "testify",
        "explain",
        "argue",
        "stress",
        "estimate",
        "deny",
        "charge",
        "contend",
        "indicate",
        "observe",
        "see",
        "suggest",
        "believe",
        "reiterate",
        "emphasise",
        "emphasize",
        "concede",
        "show",
    }
)
# Perception verbs: a reporting verb above them names the claimant instead.
PERCEPTION_VERBS: Final = frozenset({"see", "observe", "notice", "spot", "detect", "watch"})
HEDGES: Final = frozenset(
    {
        "reportedly",
        "allegedly",
        "suspected",
        "alleged",
        "purportedly",
        "apparently",
        "purported",
        "rumour",
        "rumor",
        "unconfirmed",
        "unverified",
    }
)
ALLEGING_VERBS: Final = frozenset({"accuse", "allege", "claim", "charge", "suspect"})

# Words that put a movement out of the question ("extremely unlikely to send troops").
UNLIKELY_WORDS: Final = frozenset({"unlikely", "impossible"})
# "in the event of", "in case of": the movement hangs on a condition.
CONDITION_NOUNS: Final = frozenset({"event", "case"})
DENY_VERBS: Final = frozenset(
    {"deny", "reject", "refuse", "dismiss", "rebuff", "rule", "decline", "refute", "disprove"}
)
DENY_OBJECTS: Final = frozenset(
    {
        "claim",
        "allegation",
        "report",
        "accusation",
        "involvement",
        "charge",
        "suggestion",
        "assertion",
        "rumour",
        "rumor",
        "presence",
        "statement",
    }
)
EVIDENCE_NOUNS: Final = frozenset(
    {"evidence", "material", "sign", "indication", "proof", "confirmation", "trace", "data"}
)
DEMAND_WORDS: Final = frozenset(
    {
        "demand",
        "urge",
        "call",
        "appeal",
        "ask",
        "press",
        "plead",
        "insist",
        "want",
        "seek",
        "request",
        "require",
        "ultimatum",
        "plea",
        "petition",
        "push",
        "lobby",
        "beg",
        "implore",
        "threaten",
        "threat",
    }
)
# Nouns a rule may look through when walking up from a trigger ("request to withdraw").
TRANSPARENT_NOUNS: Final = frozenset(
    {
        "request",
        "bid",
        "plea",
        "call",
        "demand",
        "appeal",
        "claim",
        "report",
        "evidence",
        "material",
        "sign",
        "indication",
        "plan",
        "proposal",
        "decision",
        "order",
        "idea",
        "possibility",
        "suggestion",
        "allegation",
        "accusation",
        "intention",
        "need",
        "offer",
        "readiness",
        "timetable",
        "proof",
        "confirmation",
        "ultimatum",
        "threat",
        "schedule",
        "move",
        "way",
        "process",
        "start",
        "beginning",
        "prospect",
        "pledge",
        "promise",
    }
)
PLAN_WORDS: Final = frozenset(
    {
        "plan",
        "announce",
        "order",
        "decide",
        "intend",
        "prepare",
        "schedule",
        "expect",
        "due",
        "set",
        "agree",
        "approve",
        "propose",
        "pledge",
        "promise",
        "vow",
        "proposal",
        "decision",
        "timetable",
        "begin",
        "start",
        "will",
        "shall",
        "go",
        "aim",
        "seek",
    }
)
CONDITIONAL_MODALS: Final = frozenset({"could", "may", "might", "would"})
CONSIDER_WORDS: Final = frozenset({"consider", "weigh", "mull", "contemplate", "assess"})
CONDITION_MARKS: Final = frozenset({"if", "unless"})
HISTORY_NOUNS: Final = frozenset(
    {"anniversary", "re-enactment", "reenactment", "commemoration", "memorial", "history"}
)
PRONOUNS: Final = frozenset(
    {"he", "she", "they", "it", "we", "i", "you", "him", "her", "them", "us"}
)
# People words whose removal from a place is not a force movement.
CIVILIAN_NOUNS: Final = frozenset(
    {
        "settler",
        "civilian",
        "resident",
        "refugee",
        "citizen",
        "national",
        "expatriate",
        "diplomat",
        "staff",
        "worker",
        "family",
        "tourist",
        "journalist",
        "villager",
        "people",
        "palestinian",
        "monitor",
        "inspector",
        "observer",
        "hostage",
        "student",
        "child",
        "minor",
        "executive",
        "employee",
        "company",
        "firm",
        "brand",
        "business",
        "investor",
        "airline",
        "bank",
    }
)
# Prefixes of warship names ("USS Arleigh Burke", "HMS Defender"): the named ship is a force.
SHIP_PREFIXES: Final = frozenset(
    {"USS", "HMS", "HMCS", "HMAS", "HMNZS", "INS", "ROKS", "JS", "FS", "HNLMS", "RFS", "TCG"}
)
# Organised armed groups: their forces' movements are claims (eval/README.md, rule 10).
ARMED_GROUPS: Final = frozenset(
    {"rebel", "insurgent", "guerrilla", "separatist", "militia", "militiaman", "saboteur"}
)
# Armed people whose acts are no force movement: infiltrating militants, gunmen, police, crowds.
NON_STATE_ARMED: Final = frozenset(
    {
        "militant",
        "fighter",
        "gunman",
        "kidnapper",
        "terrorist",
        "police",
        "policeman",
        "crowd",
        "protester",
    }
)
