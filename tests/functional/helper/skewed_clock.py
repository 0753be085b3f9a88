# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the helper file as if this host's clock were OFFSET seconds off: ``skewed_clock.py OFFSET HELPER ARGS...``.

The emulator keeps the real time, so the helper's X-Amz-Date is off by OFFSET, like on a host without NTP.
"""

import datetime
import runpy
import sys


class SkewedDatetime(datetime.datetime):
    offset = datetime.timedelta(0)

    @classmethod
    def now(cls, tz=None):
        return super().now(tz) + cls.offset

    @classmethod
    def utcnow(cls):
        return super().utcnow() + cls.offset


if __name__ == "__main__":
    SkewedDatetime.offset = datetime.timedelta(seconds=float(sys.argv[1]))
    datetime.datetime = SkewedDatetime
    sys.argv = sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")
