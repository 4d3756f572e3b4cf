"""Shared test helpers (importable as ``testkit``: pyproject's pytest ``pythonpath``)."""
