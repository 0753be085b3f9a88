# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trust anchor notification settings (_control_plane/notifications.py)."""

from __future__ import annotations

import pytest

from ansible_collections.rolesanywhere.fleet.plugins.module_utils._control_plane import notifications as r
from ansible_collections.rolesanywhere.fleet.plugins.module_utils._core.errors import ConfigurationError


CUSTOM_CA = {"enabled": True, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 30, "channel": "ALL", "configuredBy": "123456789012"}
DEFAULT_EE = r.default_notification_setting("END_ENTITY_CERTIFICATE_EXPIRY")


def _item(event, enabled=None, threshold=None, channel="ALL"):
    return {"event": event, "enabled": enabled, "threshold": threshold, "channel": channel}


def test_notification_setting_changes_in_place_keeping_unset_keys():
    plan = r.plan_notification_settings([CUSTOM_CA, DEFAULT_EE], [_item("CA_CERTIFICATE_EXPIRY", enabled=False)], purge=False)
    assert plan.to_put == [{"enabled": False, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 30, "channel": "ALL"}]
    assert plan.to_reset == []
    by_event = {setting["event"]: setting for setting in plan.predicted}
    assert by_event["CA_CERTIFICATE_EXPIRY"]["threshold"] == 30
    assert by_event["END_ENTITY_CERTIFICATE_EXPIRY"] == DEFAULT_EE


def test_notification_setting_equal_values_make_no_change():
    plan = r.plan_notification_settings([CUSTOM_CA, DEFAULT_EE], [_item("CA_CERTIFICATE_EXPIRY", threshold=30)], purge=True)
    assert plan == r.NotificationPlan([], [], plan.predicted)
    # Asking for AWS's defaults on an event at its defaults is no change either.
    plan = r.plan_notification_settings([], [_item("END_ENTITY_CERTIFICATE_EXPIRY", enabled=True, threshold=45)], purge=False)
    assert not plan.to_put and not plan.to_reset


def test_missing_events_count_as_defaults():
    plan = r.plan_notification_settings(None, [_item("END_ENTITY_CERTIFICATE_EXPIRY", threshold=10)], purge=False)
    assert plan.to_put == [{"enabled": True, "event": "END_ENTITY_CERTIFICATE_EXPIRY", "threshold": 10, "channel": "ALL"}]
    assert [setting["event"] for setting in plan.predicted] == ["CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY"]


def test_purge_resets_only_unlisted_customised_events():
    custom_ee = dict(DEFAULT_EE, threshold=7, configuredBy="123456789012")
    plan = r.plan_notification_settings([CUSTOM_CA, custom_ee], [_item("CA_CERTIFICATE_EXPIRY", threshold=30)], purge=True)
    assert plan.to_put == []
    assert plan.to_reset == [{"event": "END_ENTITY_CERTIFICATE_EXPIRY", "channel": "ALL"}]
    assert r.default_notification_setting("END_ENTITY_CERTIFICATE_EXPIRY") in plan.predicted
    # Without purge the customised event stays.
    assert r.plan_notification_settings([CUSTOM_CA, custom_ee], [_item("CA_CERTIFICATE_EXPIRY")], purge=False).to_reset == []
    # A setting someone configured to the default values still gets reset (configuredBy goes back to AWS).
    by_user = dict(DEFAULT_EE, configuredBy="123456789012")
    assert r.plan_notification_settings([by_user], [], purge=True).to_reset == [{"event": "END_ENTITY_CERTIFICATE_EXPIRY", "channel": "ALL"}]


def test_notification_settings_for_create_fill_defaults():
    assert r.notification_settings_for_create([_item("CA_CERTIFICATE_EXPIRY", enabled=False)]) == [
        {"enabled": False, "event": "CA_CERTIFICATE_EXPIRY", "threshold": 45, "channel": "ALL"}
    ]
    assert r.notification_settings_for_create(None) == []


def test_check_notification_settings():
    r.check_notification_settings([_item("CA_CERTIFICATE_EXPIRY", threshold=1), _item("END_ENTITY_CERTIFICATE_EXPIRY", threshold=360)])
    with pytest.raises(ConfigurationError, match="twice"):
        r.check_notification_settings([_item("CA_CERTIFICATE_EXPIRY"), _item("CA_CERTIFICATE_EXPIRY", enabled=False)])
    for threshold in (0, 361):
        with pytest.raises(ConfigurationError, match="1 to 360 days"):
            r.check_notification_settings([_item("CA_CERTIFICATE_EXPIRY", threshold=threshold)])
