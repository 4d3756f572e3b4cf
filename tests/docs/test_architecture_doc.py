"""docs/architecture.md names real things: every file, function, class and registry it puts
in `code` exists in the repository, so the page cannot drift from the code unnoticed."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "architecture.md"
SOURCES = [p for d in ("selfplay", "agents", "verifiers", "tests") for p in (REPO / d).rglob("*.py")]


def _defined() -> set[str]:
    names: set[str] = set()
    for path in SOURCES:
        text = path.read_text()
        names |= set(re.findall(r"^\s*(?:def|class)\s+(\w+)", text, re.M))
        names |= set(re.findall(r"^([A-Z][A-Z_]+)\s*[:=]", text, re.M))  # module constants, registries
    return names


def test_every_name_in_the_architecture_doc_exists():
    spans = re.findall(r"`([^`\n]+)`", DOC.read_text())
    defined = _defined()
    repo_dirs = ("selfplay/", "agents/", "verifiers/", "conf/", "tests/", "docs/", "experiments/")
    paths = [s for s in spans if s.startswith(repo_dirs) and re.fullmatch(r"[\w./-]+", s)]
    calls = [s[:-2] for s in spans if re.fullmatch(r"[\w.]+\(\)", s)]
    types = [s for s in spans if re.fullmatch(r"[A-Z][A-Za-z]*[a-z][A-Za-z]*|[A-Z][A-Z_]{2,}", s)]
    assert len(paths) > 20 and len(calls) > 20 and len(types) > 15  # the doc is checked, not skipped
    missing_paths = [p for p in paths if not (REPO / p.rstrip("/")).exists() and "NNNNNN" not in p]
    missing = [n for c in calls for n in c.split(".") if n not in defined]
    missing += [t for t in types if t not in defined and t != "COMPLETE"]
    assert not missing_paths, f"docs/architecture.md names files that do not exist: {missing_paths}"
    assert not missing, f"docs/architecture.md names functions/classes that do not exist: {sorted(set(missing))}"
