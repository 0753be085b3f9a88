# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Trust anchor notification settings: validate the module's list and plan PutNotificationSettings /
ResetNotificationSettings, in the service's (camelCase) shapes, without calling AWS."""

from __future__ import annotations

from collections import namedtuple

from .._core.errors import ConfigurationError

# botocore model rolesanywhere 2018-05-10: NotificationEvent and NotificationChannel enums; threshold 1..360
# days (NotificationSetting.threshold); AWS's defaults (enabled, 45 days, configured by the service principal)
# as GetTrustAnchor reports them for settings nobody configured.
SERVICE_PRINCIPAL = "rolesanywhere.amazonaws.com"
NOTIFICATION_EVENTS = ("CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY")
NOTIFICATION_CHANNELS = ("ALL",)
DEFAULT_NOTIFICATION_CHANNEL = "ALL"
DEFAULT_NOTIFICATION_THRESHOLD = 45
NOTIFICATION_THRESHOLD_RANGE = (1, 360)

NotificationPlan = namedtuple("NotificationPlan", ["to_put", "to_reset", "predicted"])


def default_notification_setting(event, channel=DEFAULT_NOTIFICATION_CHANNEL):
    return {
        "enabled": True,
        "event": event,
        "threshold": DEFAULT_NOTIFICATION_THRESHOLD,
        "channel": channel,
        "configuredBy": SERVICE_PRINCIPAL,
    }


def _notification_key(setting):
    return setting["event"], setting.get("channel") or DEFAULT_NOTIFICATION_CHANNEL


def index_notification_settings(settings):
    """The trust anchor's settings by (event, channel); events the service left out count as defaults."""
    index = {_notification_key(setting): dict(setting) for setting in settings or ()}
    for event in NOTIFICATION_EVENTS:
        index.setdefault((event, DEFAULT_NOTIFICATION_CHANNEL), default_notification_setting(event))
    return index


def check_notification_settings(items, option="notification_settings"):
    """Validate the module's notification_settings list (event, enabled, threshold, channel)."""
    seen = set()
    low, high = NOTIFICATION_THRESHOLD_RANGE
    for item in items or ():
        key = (item["event"], item.get("channel") or DEFAULT_NOTIFICATION_CHANNEL)
        if key in seen:
            raise ConfigurationError("%s lists event %s (channel %s) twice" % (option, key[0], key[1]), "List each event once")
        seen.add(key)
        threshold = item.get("threshold")
        if threshold is not None and not low <= threshold <= high:
            raise ConfigurationError(
                "%s threshold %d for event %s is out of range" % (option, threshold, key[0]),
                "Use %d to %d days before expiry" % (low, high),
            )
    return items


def _merged_notification_setting(current, item):
    """The user's setting with every key they left unset taken from the current one."""
    return {
        "enabled": current["enabled"] if item.get("enabled") is None else item["enabled"],
        "event": item["event"],
        "threshold": current.get("threshold", DEFAULT_NOTIFICATION_THRESHOLD) if item.get("threshold") is None else item["threshold"],
        "channel": item.get("channel") or DEFAULT_NOTIFICATION_CHANNEL,
    }


def _notification_values_differ(current, desired):
    return current.get("enabled") != desired["enabled"] or current.get("threshold") != desired["threshold"]


def _is_default_notification_setting(setting):
    configured_by = setting.get("configuredBy")
    return (
        (configured_by is None or configured_by == SERVICE_PRINCIPAL)
        and setting.get("enabled") is True
        and setting.get("threshold") == DEFAULT_NOTIFICATION_THRESHOLD
    )


def notification_settings_for_create(items):
    """CreateTrustAnchor's notificationSettings: each listed event, unset keys at AWS's defaults."""
    return [
        _merged_notification_setting(default_notification_setting(item["event"], item.get("channel") or DEFAULT_NOTIFICATION_CHANNEL), item)
        for item in items or ()
    ]


def plan_notification_settings(current_settings, items, purge):
    """Plan PutNotificationSettings / ResetNotificationSettings for the listed events.

    Listed events change in place (keys left unset keep their current value); with purge, every event
    not listed that is not at AWS's default is reset to it.
    """
    index = index_notification_settings(current_settings)
    to_put = []
    listed = set()
    for item in items or ():
        key = _notification_key(item)
        listed.add(key)
        current = index.get(key) or default_notification_setting(*key)
        desired = _merged_notification_setting(current, item)
        if _notification_values_differ(current, desired):
            to_put.append(desired)
            index[key] = dict(desired)
    to_reset = []
    if purge:
        for key in sorted(index):
            if key not in listed and not _is_default_notification_setting(index[key]):
                to_reset.append({"event": key[0], "channel": key[1]})
                index[key] = default_notification_setting(*key)
    predicted = [index[key] for key in sorted(index)]
    return NotificationPlan(to_put, to_reset, predicted)
