"""The offline demo wire: a local RSS feed that replays bundled real articles over time.

``DemoFeedServer`` serves it in the running event loop; ``demo_feeds_yaml`` writes a feeds file
pointing ingest at it; ``python -m services.demo.server`` runs it on its own. Exports load
lazily so that running a submodule with ``-m`` does not import it twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.demo.catalogue import DemoItem, clean_agnews_text, load_catalogue
    from services.demo.server import DemoFeedServer, demo_feeds_yaml

__all__ = ["DemoFeedServer", "DemoItem", "clean_agnews_text", "demo_feeds_yaml", "load_catalogue"]

_HOMES = {
    "DemoFeedServer": "services.demo.server",
    "demo_feeds_yaml": "services.demo.server",
    "DemoItem": "services.demo.catalogue",
    "clean_agnews_text": "services.demo.catalogue",
    "load_catalogue": "services.demo.catalogue",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'services.demo' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
