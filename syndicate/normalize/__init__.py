"""Turn raw pages and feed items into clean articles. Pure functions: no network, no database."""
