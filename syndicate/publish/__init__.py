"""Publishing: feeds and ActivityPub, both read from the store; neither writes articles."""
