"""syndicate: local news sites in, clean feeds and Fediverse actors out."""

__version__ = "0.1.0"
