"""One registry per kind of choice (task, curriculum reward, advantage estimator, ...).

A choice is made by name in the config; the same registry builds it and validates the name
before any work starts, so adding one is a new function or module plus one registered name.
Entries are either objects (``@REG.register("name")``) or ``"module:attr"`` strings
imported on first use (``REG.add_lazy``), for choices whose modules are slow to import.
"""

from __future__ import annotations

import importlib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T | str] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            self._add(name, obj)
            return obj

        return add

    def add_lazy(self, name: str, target: str) -> None:
        """Register ``"package.module:attribute"``, imported when first asked for."""
        self._add(name, target)

    def _add(self, name: str, entry: T | str) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry

    def get(self, name: str, key: str | None = None) -> T:
        """The entry called ``name``; ``key`` (the config key that chose it) goes into the error."""
        self.check(name, key)
        entry = self._entries[name]
        if isinstance(entry, str):
            module, attr = entry.split(":")
            entry = getattr(importlib.import_module(module), attr)
            self._entries[name] = entry
        return entry  # type: ignore[return-value]

    def check(self, name: str, key: str | None = None) -> None:
        """Raise ValueError unless ``name`` is registered (cheap: imports nothing)."""
        if name not in self._entries:
            where = f"{key}={name!r}" if key else repr(name)
            raise ValueError(f"{where}: unknown {self.kind} (known: {', '.join(self._entries)})")

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
