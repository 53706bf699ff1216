"""Source health and drift alarms.

After every ingest pass the runner hands the outcome here (monitor.after_pass): the failure is
classified (classify.py), the extraction quality of what the pass yielded is compared with the
source's own last 30 days (drift.py), one row per pass is kept (store.source_health), and a
change of state is logged once, counted and optionally posted to a webhook. Public pages show
plain-language texts (texts.py); exception text stays in operator views (CLI, logs).

Layering: imported by ingest and web; imports only config, models, store and the HTTP factory.
"""
