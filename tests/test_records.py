"""``records.dataclass`` (aiart_release/records.py) behaves as
``dataclasses.dataclass``:
each class shape below is defined both ways and the two are held to the same
equality, hash, repr, immutability, copying and pickling."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import field

import pytest

from aiart_release.records import dataclass as record


def shapes(make):
    """The same class shapes, made by ``make`` (dataclass or record)."""

    @make
    class Plain:
        a: int
        b: str = "x"
        c: list = field(default_factory=list)

    @make(frozen=True)
    class Frozen:
        a: int
        b: tuple = ()
        note: str = field(default="", compare=False)
        seen: int = field(default=0, hash=False)

    @make(frozen=True)
    class Empty:
        pass

    @make(frozen=True)
    class One:
        a: int

    @make
    class Hidden:
        a: int
        secret: str = field(default="", repr=False)

    @make(frozen=True)
    class OwnHash:
        a: int

        def __hash__(self):
            return 7

    @make
    class OwnEq:
        a: int

        def __eq__(self, other):
            return True

    @make(eq=False)
    class NoEq:
        a: int

    @make(frozen=True)
    class Child(Frozen):
        d: int = 1

    @make
    class Node:
        value: int
        children: list = field(default_factory=list)

    return dict(Plain=Plain, Frozen=Frozen, Empty=Empty, One=One, Hidden=Hidden, OwnHash=OwnHash,
                OwnEq=OwnEq, NoEq=NoEq, Child=Child, Node=Node)


DATA = shapes(dataclasses.dataclass)
RECORDS = shapes(record)
ARGS = {"Plain": [(1,), (1, "y"), (2,)], "Frozen": [(1,), (1, (2,), "n", 5), (2,)],
        "Empty": [()], "One": [(1,), (2,)], "Hidden": [(1, "s"), (1, "t"), (2,)],
        "OwnHash": [(1,), (2,)], "OwnEq": [(1,), (2,)], "NoEq": [(1,)],
        "Child": [(1,), (1, (), "", 0, 2)], "Node": [(1,), (2, [3])]}


def _hashable(obj):
    if type(obj).__hash__ is object.__hash__:
        return ("identity",)  # two objects: two hashes, both ways
    try:
        return ("hash", hash(obj))
    except TypeError as exc:
        return ("unhashable", str(exc).replace(type(obj).__qualname__, "T"))


@pytest.mark.parametrize("name", sorted(ARGS))
def test_a_record_compares_hashes_and_shows_as_a_dataclass(name):
    data, rec = DATA[name], RECORDS[name]
    for left in ARGS[name]:
        for right in ARGS[name]:
            assert (data(*left) == data(*right)) == (rec(*left) == rec(*right)), (left, right)
            assert (data(*left) != data(*right)) == (rec(*left) != rec(*right)), (left, right)
        d, r = data(*left), rec(*left)
        assert repr(d) == repr(r)
        assert _hashable(d) == _hashable(r)
        assert d.__eq__(object()) is r.__eq__(object())  # NotImplemented, or the class's own
        assert dataclasses.asdict(d) == dataclasses.asdict(r)
        assert dataclasses.astuple(d) == dataclasses.astuple(r)
        assert [f.name for f in dataclasses.fields(d)] == [f.name for f in dataclasses.fields(r)]
        assert copy.deepcopy(r) == r or name in ("NoEq",)
    first = ARGS[name][0]
    assert (data(*first) != object()) == (rec(*first) != object())


def test_a_frozen_record_refuses_changes_and_copies_with_replace():
    frozen = RECORDS["Frozen"](1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen.a = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del frozen.a
    changed = dataclasses.replace(frozen, a=2)
    assert changed.a == 2 and frozen.a == 1 and type(changed) is type(frozen)


def test_a_record_inside_itself_shows_as_dataclasses_does():
    data, rec = DATA["Node"](1), RECORDS["Node"](1)
    data.children.append(data)
    rec.children.append(rec)
    assert repr(data) == repr(rec) == "test_records.shapes.<locals>.Node(value=1, children=[...])" \
        .replace("test_records.", "")


def test_a_record_survives_pickling(tmp_path):
    assert pickle.loads(pickle.dumps(Point(1, (2,)))) == Point(1, (2,))
    assert hash(pickle.loads(pickle.dumps(Point(1, (2,))))) == hash(Point(1, (2,)))


@record(frozen=True)
class Point:
    """A module-level record, as pickle needs."""

    x: int
    y: tuple
