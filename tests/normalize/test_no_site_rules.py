"""No per-site rules: nothing under syndicate/ names a corpus site, its outlet or its host.

The corpus is what the extractor is measured on, not what it may know about; sites it has never
seen must get the same general rules.
"""

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITES = ROOT / "tests" / "corpus" / "sites"


def _site_words() -> set[str]:
    words: set[str] = set()
    for routes in SITES.glob("*/routes.json"):
        data = json.loads(routes.read_text())
        words.add(routes.parent.name.lower())  # the site id: detailnews, bolmongraya, ...
        name = (data.get("name") or "").lower()
        words.add(re.sub(r"\s+", "", name))  # "DetailNews.id" / "Lensa Utara" -> "lensautara"
        if len(name.split()) <= 2:
            words.add(name)
    # Hosts the pages link to as their own (detailnews.id, bitungkota.go.id): a site id followed
    # by a domain suffix.
    for site in {r.parent.name for r in SITES.glob("*/routes.json")}:
        for page in (SITES / site).glob("*.html"):
            for host in re.findall(
                rf"\b{site}\.(?:[a-z]{{2,4}}\.)?[a-z]{{2,4}}\b",
                page.read_text(errors="replace"),
                re.I,
            ):
                words.add(host.lower())
    return {w for w in words if len(w) >= 6}


def test_the_corpus_names_are_known():
    words = _site_words()
    assert {"detailnews", "bolmongraya", "gorontaloprov", "lensautara"} <= words
    assert "detailnews.id" in words


def _code_words(path: Path) -> str:
    """What a .py file acts on: identifiers and string literals, docstrings and comments aside
    (an example in a docstring is not a rule); other files (templates, data) whole."""
    text = path.read_text(errors="replace")
    if path.suffix != ".py":
        return text.lower()
    tree = ast.parse(text)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    parts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                parts.append(node.value)
        elif isinstance(node, ast.Name):
            parts.append(node.id)
        elif isinstance(node, ast.Attribute):
            parts.append(node.attr)
    return "\n".join(parts).lower()


def test_no_site_name_or_host_in_the_product():
    words = _site_words()
    found = []
    for path in (ROOT / "syndicate").rglob("*"):
        if path.suffix not in {".py", ".html", ".toml", ".ini", ".json", ".txt", ".css", ".mako"}:
            continue
        code = _code_words(path)
        found += [f"{path.relative_to(ROOT)}: {w}" for w in sorted(words) if w in code]
    assert not found, "per-site knowledge in syndicate/: " + ", ".join(found)


def test_the_check_sees_a_site_name_in_code(tmp_path):
    sample = tmp_path / "rule.py"
    sample.write_text('"""Docs may say detailnews."""\nif host == "detailnews.id":\n    pass\n')
    assert "detailnews.id" in _code_words(sample)
    assert "docs may say" not in _code_words(sample)
