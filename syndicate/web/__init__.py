"""The ASGI app: feeds, ActivityPub endpoints and pages for people."""
