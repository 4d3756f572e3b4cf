import sys
from pathlib import Path

# The experiments' scripts are not a package; their tests import them from their folders, and the
# synthetic run writer from tests/inspect (not a package either: it would shadow the stdlib `inspect`).
TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "inspect"))
sys.path.insert(0, str(TESTS.parent / "experiments" / "difficulty_levels" / "scripts"))
