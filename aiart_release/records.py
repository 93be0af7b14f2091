"""``dataclass``, a drop-in for ``dataclasses.dataclass`` whose ``__eq__``,
``__hash__`` and ``__repr__`` read the fields through shared code instead
of code written for each class.

Before Python 3.13, ``dataclasses`` writes each method it adds as source text
and compiles it with ``exec`` when the class is defined: ``__init__``,
``__repr__``, ``__eq__``, a frozen class's ``__hash__``, ``__setattr__`` and
``__delattr__``. The seventy records a pre-commit run on one caption
defines spent about 10 ms of it on comparison and repr alone, the slowest
part of the hook's start-up after the interpreter's own. This ``dataclass`` lets
``dataclasses`` write ``__init__`` (and a frozen class's guards, which
``__init__`` relies on) and gives the class the others as closures over
``operator.attrgetter``, which build nothing at definition.

They behave as ``dataclasses.dataclass``'s own (tests/test_records.py holds
them to it): equality between instances of the same class on the fields
that ``compare``, ``NotImplemented`` for anything else; the hash of those
fields (or of those ``hash=True`` names) for a frozen class, none for a
mutable one, a hash the class defines kept; the repr
``Name(field=value, ...)`` of the ``repr`` fields, ``...`` for a record
inside itself. ``dataclasses.fields``, ``replace`` and ``asdict`` work as on
any dataclass; ``order`` and ``unsafe_hash`` are left to ``dataclasses``.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(cls: type[T] | None = None, /, **options: Any) -> Any:
    """``@dataclass`` or ``@dataclass(frozen=True, ...)``: as
    ``dataclasses.dataclass``, with the same options and behaviour."""
    def wrap(cls: type[T]) -> type[T]:
        return _dataclass(cls, **options)

    return wrap if cls is None else wrap(cls)


def _dataclass(cls: type[T], *, eq: bool = True, repr: bool = True,  # noqa: A002 - dataclass's names
            unsafe_hash: bool = False, **options: Any) -> type[T]:
    if unsafe_hash or options.get("order"):
        return dataclasses.dataclass(cls, eq=eq, repr=repr, unsafe_hash=unsafe_hash, **options)
    explicit_hash = _explicit_hash(cls)
    cls = dataclasses.dataclass(cls, eq=False, repr=False, **options)
    fields = dataclasses.fields(cls)
    own = cls.__dict__
    if repr and "__repr__" not in own:
        cls.__repr__ = _repr([f.name for f in fields if f.repr])
    if eq and "__eq__" not in own:
        cls.__eq__ = _eq(_values([f.name for f in fields if f.compare]))
    if eq and not explicit_hash:
        # dataclasses' rule: a frozen record hashes its compared fields, a
        # mutable one is unhashable (it may change while in a set).
        cls.__hash__ = (_hash(_values([f.name for f in fields
                                       if (f.compare if f.hash is None else f.hash)]))
                        if options.get("frozen") else None)
    return cls


def _explicit_hash(cls: type) -> bool:
    """Whether the class body defines ``__hash__`` (dataclasses' test: a
    ``__hash__`` of None that Python set for a body's ``__eq__`` is none)."""
    body_hash = cls.__dict__.get("__hash__", dataclasses.MISSING)
    return not (body_hash is dataclasses.MISSING
                or (body_hash is None and "__eq__" in cls.__dict__))


def _values(names: list[str]) -> Callable[[Any], tuple]:
    """A function giving the named attributes of an object as a tuple."""
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)


def _eq(values: Callable[[Any], tuple]) -> Callable[[Any, Any], Any]:
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(values: Callable[[Any], tuple]) -> Callable[[Any], int]:
    def __hash__(self):
        return hash(values(self))

    return __hash__


def _repr(names: list[str]) -> Callable[[Any], str]:
    @reprlib.recursive_repr()
    def __repr__(self):
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__
