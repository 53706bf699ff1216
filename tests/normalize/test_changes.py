"""normalize/changes.py: what changed between two versions of one article."""

from datetime import UTC, datetime

from normalize_corpus import articles, corpus_entry

from syndicate.models import Entry
from syndicate.normalize.changes import (
    changed_fields,
    diff_entries,
    is_correction,
    paragraph_changes,
    paragraph_edits,
)

OLD_TEXT = (
    "DetailNews.id, Bitung — Harga cabai di Pasar Girian naik menjadi Rp18 ribu per kilogram.\n\n"
    "Pedagang menyebut pasokan dari Minahasa berkurang.\n\n"
    "Dinas perdagangan akan memantau harga hingga akhir pekan."
)
NEW_TEXT = (
    "DetailNews.id, Bitung — Harga cabai di Pasar Girian naik menjadi Rp22 ribu per kilogram.\n\n"
    "Pedagang menyebut pasokan dari Minahasa berkurang.\n\n"
    "Dinas perdagangan akan memantau harga hingga akhir pekan.\n\n"
    "Wali kota meminta warga tidak panik."
)
T0 = datetime(2026, 1, 7, 1, 0, tzinfo=UTC)


def _version(**fields) -> Entry:
    base = {
        "url": "https://x.id/a",
        "title": "Harga cabai naik",
        "content_text": OLD_TEXT,
        "tags": ["Pasar", "Bitung"],
        "published": T0,
        "updated": T0,
        "rules": {"title": "json-ld"},
    }
    return Entry(**(base | fields))


def test_a_changed_figure_is_a_correction():
    old, new = _version(), _version(content_text=NEW_TEXT)
    changes = diff_entries(old, new)
    assert [c.field for c in changes] == ["content_text"]
    assert is_correction(changes)


def test_whitespace_and_how_we_read_it_are_not_changes():
    old = _version()
    new = _version(
        title="Harga  cabai\nnaik", tags=["Pasar", "Bitung "], rules={"title": "opengraph"}
    )
    assert diff_entries(old, new) == []


def test_a_new_tag_or_time_is_metadata_not_a_correction():
    new = _version(tags=["Pasar", "Bitung", "Cabai"], updated=datetime(2026, 1, 7, 5, tzinfo=UTC))
    changes = diff_entries(_version(), new)
    assert changed_fields(_version(), new) == ["updated", "tags"]
    assert not is_correction(changes)


def test_paragraph_edits_number_what_a_reader_sees():
    edits = paragraph_edits(OLD_TEXT, NEW_TEXT)
    assert (edits.corrected, edits.added, edits.removed) == ((1,), (4,), ())
    assert not paragraph_edits(OLD_TEXT, OLD_TEXT.replace("\n\n", "\n\n  "))
    removed = paragraph_edits(NEW_TEXT, OLD_TEXT)
    assert removed.removed == (4,) and removed.corrected == (1,)


def test_paragraph_changes_pairs_old_and_new():
    pairs = paragraph_changes(OLD_TEXT, NEW_TEXT)
    assert pairs[0][0].endswith("Rp18 ribu per kilogram.")
    assert pairs[0][1].endswith("Rp22 ribu per kilogram.")
    assert pairs[1] == (None, "Wali kota meminta warga tidak panik.")


def test_correction_detected_between_states():
    url = next(a["url"] for s, st, a in articles("t0") if a["id"] == "detailnews:2463")
    old, new = corpus_entry("detailnews", "t0", url), corpus_entry("detailnews", "t1", url)
    fields = changed_fields(old, new)
    assert {"title", "content_text", "updated"} <= set(fields)
    assert "published" not in fields and "authors" not in fields
    assert is_correction(diff_entries(old, new))
    pairs = paragraph_changes(old.content_text, new.content_text)
    assert len(pairs) == 2
    assert "Rp18 ribu" in pairs[0][0] and "Rp22 ribu" in pairs[0][1]
    assert "Rp25 ribu" in pairs[1][0] and "Rp28 ribu" in pairs[1][1]
    assert diff_entries(new, new) == []
