"""A per-process memo for the engine's pure expression builders.

On small data most of an engine run's CPU is Ibis *building* the stage and figure expressions
(each ``select``/``join``/``over`` validates, binds and rewrites its arguments), not the database
running them. A process that computes the figures again (the cockpit after an import, the test
suite, the demo's runs per delivery) builds the same expressions again from equal inputs: the
stage tables have names that repeat (``backends.run_slot``) and the same schemas.

:func:`memoised` keeps a builder's result per argument key:

- an Ibis expression counts by its operation node (``expr.op()``): nodes compare by structure
  (tables by name, schema and backend kind; literals by value and type) and carry a precomputed
  hash. Value expressions themselves are never used as keys (their ``==`` builds an expression);
- plain scalars (``None``, ``bool``, ``int``, ``float``, ``str``) count by type and value, so
  ``1``, ``1.0`` and ``True`` are different keys; tuples and lists element by element; frozen
  dataclasses (``Coverage``) by type and fields. Anything else is a programming error
  (``TypeError``), not a silent miss.

Only *pure* builders may be memoised: the result must depend on nothing but the arguments (no
reading of data, the connection, the clock or module state that changes). Each memoised function
says in its docstring why it is pure. The result (an Ibis expression, immutable) is returned as it
is: it may be an object built in an earlier run, over an equal table of an earlier connection of
the same backend kind. That is safe because the engine never runs an expression through the
backend it names: it runs the SQL compiled from it on the connection of the current run
(``backends.materialize``/``to_arrow``, the same assumption as the compiled-SQL cache).

Each memo holds at most :data:`MEMO_MAX` entries and is then cleared (like ``backends._SQL``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import ibis.expr.types as ir

MEMO_MAX = 256
_SCALARS = (type(None), bool, int, float, str)
_MEMOS: list[dict] = []  # every memo of the process (for clear())
_COUNTS = {"hits": 0, "misses": 0}  # over all memos of the process (approximate with threads)

F = TypeVar("F", bound=Callable[..., Any])


def key_of(value: object) -> object:
    """The memo key of one argument (see the module docstring)."""
    if isinstance(value, ir.Expr):
        return (type(value), value.op())
    if isinstance(value, _SCALARS):
        return (type(value), value)
    if isinstance(value, tuple | list):
        return (type(value), tuple(key_of(v) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return (type(value), tuple(key_of(getattr(value, f.name)) for f in dataclasses.fields(value)))
    raise TypeError(f"cannot memoise on an argument of type {type(value).__name__}")


def memoised(fn: F) -> F:
    """``fn`` with its results kept per argument key (``fn`` must be pure; see the module)."""
    memo: dict[object, Any] = {}
    _MEMOS.append(memo)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = (tuple(key_of(a) for a in args), tuple((k, key_of(v)) for k, v in sorted(kwargs.items())))
        try:
            hit = memo[key]
        except KeyError:
            pass
        else:
            _COUNTS["hits"] += 1
            return hit
        _COUNTS["misses"] += 1
        result = fn(*args, **kwargs)
        if len(memo) >= MEMO_MAX:
            memo.clear()
        memo[key] = result
        return result

    wrapper.memo = memo  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def counts() -> tuple[int, int]:
    """(hits, misses) of every memo since the process started (for tests and measurements)."""
    return _COUNTS["hits"], _COUNTS["misses"]


def clear() -> None:
    """Forget every memoised result of the process (for tests and measurements)."""
    for memo in _MEMOS:
        memo.clear()
