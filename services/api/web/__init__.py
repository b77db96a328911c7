"""The analysts' page served by the api at ``/``: live alerts, claim details, a timeline of
claims and the feeds' health, from the api's own static files (no build step, no CDN)."""

from services.api.web.routes import router

__all__ = ["router"]
