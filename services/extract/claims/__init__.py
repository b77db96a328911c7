"""Troop-movement claims: the rule-based extractor and the flat JSON form of its output.

extractor = ClaimExtractor(Gazetteer.default())
claims = extractor.extract(nlp(title + "\\n\\n" + body), item_id="...")
rows = [claim_to_json(c) for c in claims]
"""

from services.extract.claims.build import claim_to_json
from services.extract.claims.extractor import ClaimExtractor
from services.extract.claims.textnorm import normalise_input

__all__ = ["ClaimExtractor", "claim_to_json", "normalise_input"]
