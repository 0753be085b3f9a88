# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The helper's argparse parser, built from command_line's option tables.

Loaded only for the command lines that ``command_line.read_command_line`` does not read itself (every command but
credential-process, ``--help``, ``--debug``, PKCS#11 and TPM flags, mistakes): importing argparse (which imports
gettext) and building the parser cost a cold credential-process about 15 ms (issue 12, ``bench_helper``). A unit
test reads many command lines both ways and compares the results.
"""

from __future__ import annotations

import argparse

from .command_line import (
    CACHE_OPTIONS,
    DEBUG,
    FAILOVER_OPTIONS,
    MATERIAL_OPTIONS,
    PROG,
    SERVE_OPTIONS,
    SESSION_OPTIONS,
    UNSUPPORTED_SWITCHES,
    UNSUPPORTED_VALUE_FLAGS,
    UPDATE_OPTIONS,
    UsageError,
    parse_bool,
    separated_boolean_value,
)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError("%s: %s (see %s --help)" % (self.prog, message, self.prog))


def _boolean(text):
    try:
        return parse_bool(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class GoBooleanFlag(argparse.Action):
    """A boolean flag in Go's syntax: ``--flag``, ``--flag=true``, ``--flag=false`` (see command_line)."""

    def __init__(self, option_strings, dest, default=False, help=None, **_ignored):  # pylint: disable=redefined-builtin
        super().__init__(option_strings, dest, nargs="?", const=True, default=default, type=_boolean, help=help,
                         metavar="true|false")

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)


def _add_options(parser, options):
    groups = {}
    for option in options:
        target = parser
        if option.group:
            if option.group not in groups:
                groups[option.group] = parser.add_mutually_exclusive_group()
            target = groups[option.group]
        if option.kind == "flag":
            target.add_argument(option.name, action=GoBooleanFlag, help=option.help)
        elif option.kind == "append":
            target.add_argument(option.name, action="append", default=[], metavar=option.metavar, help=option.help)
        else:
            extra = {"metavar": option.metavar} if option.metavar else {}
            target.add_argument(option.name, type=option.type, default=option.default, help=option.help, **extra)


def _add_unsupported(parser):
    group = parser.add_argument_group("not supported yet (accepted for compatibility, refused when used)")
    for name, _what in UNSUPPORTED_VALUE_FLAGS:
        group.add_argument(name, metavar="VALUE", help=argparse.SUPPRESS if name == "--system-store-location" else None)
    for name, _what in UNSUPPORTED_SWITCHES:
        group.add_argument(name, action=GoBooleanFlag)


def _add_material(parser):
    _add_options(parser, MATERIAL_OPTIONS + (DEBUG,))


def _add_session(parser):
    _add_options(parser, SESSION_OPTIONS)
    _add_options(parser, FAILOVER_OPTIONS)
    _add_material(parser)
    _add_unsupported(parser)


def build_parser():
    parser = _Parser(prog=PROG, allow_abbrev=False, description="IAM Roles Anywhere credential helper (rolesanywhere.fleet)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name, help_text):
        return commands.add_parser(name, help=help_text, description=help_text, allow_abbrev=False)

    process = command("credential-process", "print credentials for credential_process")
    _add_session(process)
    _add_options(process, CACHE_OPTIONS)

    sign = command("sign-string", "sign the fixed test string with the private key")
    _add_material(sign)
    sign.add_argument("--format", choices=("json", "text", "bin"), default="json", help="output format")
    sign.add_argument("--digest", choices=("SHA256", "SHA384", "SHA512"), default="SHA256", help="digest")
    _add_unsupported(sign)

    read = command("read-certificate-data", "print the certificate's data as JSON")
    read.add_argument("--certificate", help="certificate file, or - for stdin")
    read.add_argument("--debug", action=GoBooleanFlag, help="log each step on stderr")
    read.add_argument("--pkcs11-lib", metavar="PATH", help="PKCS#11 module (accepted as by AWS's helper)")
    _add_unsupported(read)

    update = command("update", "keep a profile of the shared credentials file up to date")
    _add_session(update)
    _add_options(update, UPDATE_OPTIONS)

    serve = command("serve", "serve credentials on an IMDSv2-compatible local endpoint")
    _add_session(serve)
    _add_options(serve, SERVE_OPTIONS)

    command("version", "print the version")
    return parser


def parse_with_argparse(argv):
    """argparse's reading of the helper's command line (a namespace; ``command`` is None without a command)."""
    separated = separated_boolean_value(argv[1:])
    if separated:
        name, value = separated
        raise UsageError(
            "%s: %s %s: a boolean flag takes its value after '=': write %s=%s, or %s alone for true (AWS's helper "
            "would read the separate %r as a stray argument and turn %s on)" % (PROG, name, value, name, value, name, value, name)
        )
    return build_parser().parse_args(argv)


def print_help(stream):
    build_parser().print_help(stream)
