"""Deterministic fault injection for the sandbox.

A plan is a comma-separated list of ``kind:rate`` (each API call fails that way with the given
probability, drawn from a seeded generator) and ``kind@N`` (the N-th API call, counting from 1,
fails that way). Kinds:

``429`` and ``503``
    rate limiting with ``Retry-After`` (Marketo: error 606 in a 200 answer)
``limit``
    Salesforce ``REQUEST_LIMIT_EXCEEDED`` (403); Marketo 606
``expire``
    the caller's token expires (Salesforce 401 ``INVALID_SESSION_ID``; Marketo 601)
``slow``
    the answer is delayed by ``slow_seconds``
``drop``
    the connection is dropped half-way through the answer
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

KINDS = ("429", "503", "limit", "expire", "slow", "drop")


@dataclass
class FaultPlan:
    rates: dict[str, float] = field(default_factory=dict)
    at_calls: dict[int, str] = field(default_factory=dict)
    seed: int = 0
    slow_seconds: float = 2.0
    retry_after_seconds: int = 1

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._calls = 0
        self._lock = threading.Lock()
        self.injected: dict[str, int] = dict.fromkeys(KINDS, 0)

    @classmethod
    def parse(cls, spec: str | None, seed: int = 0, slow_seconds: float = 2.0) -> FaultPlan:
        rates: dict[str, float] = {}
        at_calls: dict[int, str] = {}
        for item in (spec or "").split(","):
            item = item.strip()
            if not item:
                continue
            if "@" in item:
                kind, call = item.split("@", 1)
                at_calls[int(call)] = _kind(kind)
            else:
                kind, rate = item.split(":", 1)
                rates[_kind(kind)] = float(rate)
        return cls(rates=rates, at_calls=at_calls, seed=seed, slow_seconds=slow_seconds)

    def next_fault(self) -> str | None:
        """Count one API call and say which fault (if any) it meets."""
        with self._lock:
            self._calls += 1
            fault = self.at_calls.get(self._calls)
            if fault is None:
                draw = self._random.random()
                threshold = 0.0
                for kind in KINDS:
                    threshold += self.rates.get(kind, 0.0)
                    if draw < threshold:
                        fault = kind
                        break
            if fault:
                self.injected[fault] += 1
            return fault

    @property
    def calls(self) -> int:
        return self._calls


def _kind(kind: str) -> str:
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind
