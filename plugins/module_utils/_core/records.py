# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Value objects of the signing core: immutable records with ``__slots__`` (standard library only).

Why not ``dataclasses``: importing it imports ``inspect`` and building each class runs ``exec``; on the credential
helper's cold path (credential-process without a cache hit) the seven records cost 15-20 ms of a 120 ms budget
(issue 12, ``bench_helper``). A record here is a class with ``__slots__`` naming its fields in order, ``_defaults``
for the optional ones and ``_hidden`` for those left out of ``repr()`` (secret keys, session tokens, passwords,
DER blobs), so no secret reaches a log through ``repr``.
"""

from __future__ import annotations


class Record(object):
    """Fields in ``__slots__`` order; positional or keyword construction; equality and hash by value;
    ``replace(**changes)`` makes a changed copy. Instances are immutable."""

    __slots__ = ()
    _fields = ()  # every field in order: the classes' __slots__, base classes first
    _defaults = {}
    _hidden = frozenset()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = cls._fields + tuple(cls.__dict__.get("__slots__", ()))

    def __init__(self, *args, **kwargs):
        names = self._fields
        cls = type(self).__name__
        if len(args) > len(names):
            raise TypeError("%s() takes %d arguments, %d given" % (cls, len(names), len(args)))
        values = dict(zip(names, args))
        for name, value in kwargs.items():
            if name not in names:
                raise TypeError("%s() got an unexpected keyword argument %r" % (cls, name))
            if name in values:
                raise TypeError("%s() got multiple values for argument %r" % (cls, name))
            values[name] = value
        for name in names:
            if name in values:
                value = values[name]
            elif name in self._defaults:
                value = self._defaults[name]
            else:
                raise TypeError("%s() missing required argument %r" % (cls, name))
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("%s is immutable: use replace(%s=...)" % (type(self).__name__, name))

    def __delattr__(self, name):
        raise AttributeError("%s is immutable: use replace(%s=...)" % (type(self).__name__, name))

    def _values(self):
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self):
        return hash((type(self).__name__,) + self._values())

    def __repr__(self):
        shown = ("%s=%r" % (name, getattr(self, name)) for name in self._fields if name not in self._hidden)
        return "%s(%s)" % (type(self).__name__, ", ".join(shown))

    def __reduce__(self):  # pickle and copy through __init__ (the fields are not settable afterwards)
        return type(self), self._values()

    def replace(self, **changes):
        """A copy with ``changes`` applied (``dataclasses.replace`` for records)."""
        values = dict(zip(self._fields, self._values()))
        values.update(changes)
        return type(self)(**values)
