# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The signing core's records: construction, immutability, equality, replace, and secrets kept out of repr()."""

from __future__ import annotations

import copy
import datetime
import pickle
import re

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.records import Record
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.sdk_config import ClientConfig, Proxy
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.transport import SessionCredentials
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.session_request import SessionRequest

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN"
EXPIRATION = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.timezone.utc)


class Pair(Record):
    __slots__ = ("left", "right", "note")
    _defaults = {"note": None}
    _hidden = frozenset(("right",))


def credentials(**changes):
    values = dict(access_key_id="ASIAEXAMPLE", secret_access_key=SECRET, session_token=TOKEN, expiration=EXPIRATION)
    values.update(changes)
    return SessionCredentials(**values)


def test_positional_keyword_and_default_fields():
    assert Pair(1, 2) == Pair(left=1, right=2) == Pair(1, right=2, note=None)
    assert Pair(1, 2).note is None and Pair(1, 2, "n").note == "n"


@pytest.mark.parametrize("args, kwargs, problem", [
    ((1,), {}, "missing required argument 'right'"),
    ((1, 2, 3, 4), {}, "takes 3 arguments, 4 given"),
    ((1, 2), {"colour": 3}, "unexpected keyword argument 'colour'"),
    ((1, 2), {"left": 3}, "multiple values for argument 'left'"),
])
def test_wrong_construction_is_a_type_error(args, kwargs, problem):
    with pytest.raises(TypeError, match=problem):
        Pair(*args, **kwargs)


def test_records_are_immutable_and_replace_makes_a_copy():
    pair = Pair(1, 2)
    with pytest.raises(AttributeError, match="immutable"):
        pair.left = 3
    with pytest.raises(AttributeError, match="immutable"):
        del pair.left
    changed = pair.replace(left=3)
    assert (pair.left, changed.left, changed.right) == (1, 3, 2)
    with pytest.raises(TypeError, match="unexpected keyword"):
        pair.replace(colour=1)


def test_equality_and_hash_by_value_and_type():
    assert Pair(1, 2) != Pair(1, 3)
    assert hash(Pair(1, 2)) == hash(Pair(1, 2))
    assert len({Pair(1, 2), Pair(1, 2), Pair(2, 1)}) == 2

    class Other(Pair):
        __slots__ = ()

    assert Pair(1, 2) != Other(1, 2)


def test_copy_and_pickle_keep_the_values():
    record = credentials(role_arn="arn:aws:iam::123456789012:role/r")
    assert copy.copy(record) == record == pickle.loads(pickle.dumps(record))
    assert copy.deepcopy(record).role_arn == record.role_arn


@pytest.mark.parametrize("record, secrets", [
    (credentials(), (SECRET, TOKEN)),
    (Proxy("proxy.example", 3128, authorization="Basic dXNlcjpzM2NyZXQ="), ("dXNlcjpzM2NyZXQ=",)),
    (ClientConfig(proxy_environ=(("HTTPS_PROXY", "http://user:s3cret@proxy.example:3128"),)), ("s3cret",)),
    (SessionRequest(None, None, "c.pem", "k.pem", None, password=b"pa55phrase"), ("pa55phrase",)),
])
def test_repr_names_the_record_and_hides_its_secrets(record, secrets):
    text = repr(record)
    assert text.startswith(type(record).__name__ + "(")
    for secret in secrets:
        assert secret not in text
    assert all(secret not in str(record) for secret in secrets)


def test_credentials_repr_still_shows_what_identifies_them():
    text = repr(credentials())
    assert "access_key_id='ASIAEXAMPLE'" in text and "2026" in text


def test_the_helper_defines_no_dataclasses():
    """Issue 12: building dataclasses runs exec per class and their import pulls in inspect, on the cold
    credential-process path. (cryptography >= 40 imports dataclasses itself, in serialization.ssh; hosts with older
    cryptography save the import too.)"""
    from ansible_collections.rolesanywhere.fleet.plugins.module_utils._helper.build import helper_sources

    users = [name for name, source in helper_sources().items() if re.search(rb"^\s*(from dataclasses |import dataclasses)", source, re.M)]
    assert users == []
