# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rolesanywhere.fleet credential helper: command-line compatible with AWS's aws_signing_helper.

Generated from the rolesanywhere.fleet collection by its credential_helper module: do not edit; run it
with --help. This head is compiled at every start, so it only finds the start-up code (_helper/bootstrap.py),
compiled when the helper was built, in the comment lines below and runs it.
"""
import sys

SOURCES_SHA256 = ""  # filled in by the builder
CODE_MAGIC = ""  # filled in by the builder: bytecode magic (hex) of the code in the comment lines
CODE_ENCODING = ""  # filled in by the builder: "zlib" (zlib, then base64) or "hex"
CODE_BEGIN = b"\n# rolesanywhere-fleet-code-begin\n"
CODE_END = b"\n# rolesanywhere-fleet-code-end\n"
PAYLOAD_BEGIN = b"\n# rolesanywhere-fleet-payload-begin\n"
PAYLOAD_END = b"\n# rolesanywhere-fleet-payload-end"
BOOTSTRAP = "rolesanywhere_fleet_helper/_helper/bootstrap.py"
READ_SIZE = 1 << 16


def section(data, begin, end):
    """The text held by the comment lines between two markers of the helper file ("#" stripped)."""
    start = data.index(begin) + len(begin)
    return data[start:data.index(end, start)].replace(b"\n#", b"")[1:]


def start():
    # The start-up code follows this head: a cache hit reads the file only that far. The file stays open, so that a
    # miss reads the rest of this very file, not a newer helper renamed into its place meanwhile.
    handle = open(__file__, "rb")  # pylint: disable=consider-using-with
    data = handle.read(READ_SIZE)
    while CODE_END not in data:
        more = handle.read(READ_SIZE)
        if not more:
            break
        data += more
    importer = sys.modules.get("_frozen_importlib_external")
    if CODE_MAGIC and importer is not None and importer.MAGIC_NUMBER.hex() == CODE_MAGIC:
        import marshal  # pylint: disable=import-outside-toplevel  # built in
        text = section(data, CODE_BEGIN, CODE_END)
        if CODE_ENCODING == "zlib":  # zlib and binascii are built into the builder's Python: a third of hex's bytes
            import binascii  # pylint: disable=import-outside-toplevel
            import zlib  # pylint: disable=import-outside-toplevel
            code = dict(marshal.loads(zlib.decompress(binascii.a2b_base64(text))))
        else:  # hex: decoding needs no import
            code = dict(marshal.loads(bytes.fromhex(text.decode("ascii"))))
        bootstrap = code["_helper/bootstrap"]
    else:  # another Python: compile the start-up code from the zip
        data += handle.read()
        import base64  # pylint: disable=import-outside-toplevel
        import io  # pylint: disable=import-outside-toplevel
        import zipfile  # pylint: disable=import-outside-toplevel
        code = {}
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(section(data, PAYLOAD_BEGIN, PAYLOAD_END))))
        bootstrap = compile(archive.read(BOOTSTRAP), __file__ + "/" + BOOTSTRAP, "exec")
    namespace = {"__name__": "rolesanywhere_fleet_helper._helper.bootstrap", "__file__": __file__ + "/" + BOOTSTRAP}
    exec(bootstrap, namespace)  # pylint: disable=exec-used
    return namespace["run"](data, code, globals(), handle)


if __name__ == "__main__":
    raise SystemExit(start())
