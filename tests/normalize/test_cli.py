"""`syndicate extract` run as a subprocess."""

import json
import subprocess
import sys

from normalize_corpus import BASE, CORPUS, REPO_ROOT

PAGE = (
    CORPUS
    / "sites/detailnews/2026/01/05/apel-kerja-perdana-2026-wali-kota-hengky-ajak-asn-pemkot-bitung-perkuat-disiplin/index.html"
)
URL = (
    BASE
    + "/2026/01/05/apel-kerja-perdana-2026-wali-kota-hengky-ajak-asn-pemkot-bitung-perkuat-disiplin/"
)


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "syndicate", "extract", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


def test_extract_file(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(PAGE.read_bytes().replace(b"{{BASE}}", BASE.encode()))
    proc = run("--url", URL, str(page))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= {
        "url",
        "canonical_url",
        "title",
        "authors",
        "editor",
        "published",
        "updated",
        "dateline",
        "summary",
        "text",
        "html",
        "image",
        "tags",
        "language",
        "rules",
    }
    assert data["authors"] == ["ical"] and data["published"] == "2026-01-05T11:42:18+08:00"
    assert data["dateline"] == "DetailNews.id, Bitung —" and data["canonical_url"] == URL


def test_extract_jsonl_one_line_per_input():
    html = PAGE.read_text().replace("{{BASE}}", BASE)
    lines = [
        json.dumps({"url": URL, "html": html}),
        json.dumps({"url": BASE + "/x", "html": "<html><body><p>Halo</p></body></html>"}),
        "not json",
    ]
    proc = run("--jsonl", stdin="\n".join(lines) + "\n")
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["title"].startswith("Apel Kerja Perdana 2026")
    assert "error" in out[2] and proc.returncode == 1


def test_missing_file():
    proc = run("/nonexistent/page.html")
    assert proc.returncode == 2
