# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way every module of the collection ends on an error the user can fix: a message, no traceback.

``guarded(action, ...)`` runs a step and turns the errors a user can fix into ``fail_user_error`` (the
message, and the hint of a RolesAnywhereError); an unexpected error keeps its traceback. Module classes
get it from ``FailsWithoutTraceback``: ``RolesAnywhereModule`` (a plain AnsibleModule, for modules that
call no AWS API) here, and ``modules.AnsibleRolesAnywhereModule`` (amazon.aws's AnsibleAWSModule), which
also knows AWS errors.
"""

from __future__ import annotations

import inspect

from ansible.module_utils.basic import AnsibleModule

from .._core.errors import RolesAnywhereError


def no_traceback_arguments():
    """fail_json arguments that keep every traceback out of a user error's result.

    ansible-core 2.19 and later attach a traceback to every failure when error tracebacks are on
    (ANSIBLE_DISPLAY_TRACEBACK=error): the handled exception's inside an except block, else the call
    stack; an empty ``exception`` asks for none. Older releases attach one only inside an except block
    (at -vvv), and would report an empty ``exception`` as an exception: for them, pass nothing.
    Asked at failure time: ansible-test's import sanity test replaces AnsibleModule while importing.
    """
    if "exception" in inspect.signature(AnsibleModule.fail_json).parameters:
        return {"exception": ""}
    return {}


class FailsWithoutTraceback:
    """Mixin for a module class (AnsibleModule or AnsibleAWSModule): user errors end without a traceback."""

    # The exceptions guarded() catches; is_user_error() tells which of them are the user's to fix.
    guarded_errors = (RolesAnywhereError,)

    def fail_user_error(self, msg, **details):
        """End the module on an error the user can fix: the message (and details), never a traceback.

        Call it outside any except block (guarded() does): older ansible-core releases attach the
        handled exception's traceback there.
        """
        details.update(no_traceback_arguments())
        self.fail_json(msg=msg, **details)

    def is_user_error(self, error):  # pylint: disable=unused-argument
        """Whether a caught error is the user's to fix (no traceback) or unexpected (with its traceback)."""
        return True

    def fail_unexpected(self, error):
        """End the module on an unexpected error, inside the except block so that its traceback comes along."""
        self.fail_json(msg=str(error))

    def refuse(self, error):
        """End the module on a user error caught by guarded() (a RolesAnywhereError: message and hint)."""
        self.fail_user_error(str(error))

    def guarded(self, action, *args, **kwargs):
        """action(*args, **kwargs); an error of guarded_errors ends the module (a user error without a traceback)."""
        try:
            return action(*args, **kwargs)
        except self.guarded_errors as error:
            if not self.is_user_error(error):
                self.fail_unexpected(error)
            refusal = error
        # Outside the except block, so that no traceback comes with the refusal.
        return self.refuse(refusal)

    # Option checks read better as "validated"; it is the same guard.
    validated = guarded


class RolesAnywhereModule(FailsWithoutTraceback, AnsibleModule):
    """AnsibleModule for the collection's modules that call no AWS API."""
