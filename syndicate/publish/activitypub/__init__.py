"""ActivityPub: every source a followable Fediverse account (see FEDERATION.md)."""
