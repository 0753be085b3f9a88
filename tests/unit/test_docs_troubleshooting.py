# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/troubleshooting.md names every error the collection emits.

The messages are read from the code: every exception class of plugins/module_utils, every literal message raised
or failed with in plugins/ (``raise XError("...")``, ``fail_json(msg="...")``, ``parser.error("...")``, and
``message = "..." % ...`` built before the raise), and every
``fail_msg`` / ``ansible.builtin.fail`` message and every preflight ``problem`` of the role and the playbooks. For each message the page must
hold its key: the beginning of its longest fixed part (placeholders such as ``%s`` and ``{{ var }}`` cut the
message into parts). Run this file directly to list what the page lacks:

    python tests/unit/test_docs_troubleshooting.py
"""

from __future__ import annotations

import ast
import os
import re
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = os.path.join(REPO, "docs", "troubleshooting.md")
KEY_LENGTH = 60  # characters of the longest fixed part that identify a message
MIN_KEY_LENGTH = 12  # shorter fixed parts ("%s: %s") identify nothing
PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sdrioxXfgeEc]|\{\{.*?\}\}|\{%.*?%\}|\{[^{}]*\}", re.S)
MESSAGE_NAMES = ("message", "msg")
RAISING_CALLS = ("fail_json", "fail_json_aws", "fail_json_aws_error", "fail_user_error", "error", "exit")


# --- what the code says ----------------------------------------------------------------------------

def template_of(node):
    """The message template of an AST expression (placeholders kept), or None when it is not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return template_of(node.left)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template_of(node.left), template_of(node.right)
        return None if left is None and right is None else (left or "%s") + (right or "%s")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return template_of(node.func.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "%s" for part in node.values)
    return None


def _message_argument(call):
    for keyword in call.keywords:
        if keyword.arg in ("msg", "message"):
            return keyword.value
    return call.args[0] if call.args else None


def _called_name(call):
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def python_messages(path):
    """(where, template) of the literal messages raised or failed with in one Python file."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    found = []
    for node in ast.walk(tree):
        call = None
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            call = node.exc
        elif isinstance(node, ast.Call) and _called_name(node) in RAISING_CALLS and isinstance(node.func, ast.Attribute):
            call = node
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id in MESSAGE_NAMES for target in node.targets):
            template = template_of(node.value)  # a message built first and raised later (error_for_response)
            if template:
                found.append(("%s:%d" % (os.path.relpath(path, REPO), node.lineno), template))
            continue
        if call is None or _called_name(call) == "exit":
            continue
        argument = _message_argument(call)
        template = template_of(argument) if argument is not None else None
        if template:
            found.append(("%s:%d" % (os.path.relpath(path, REPO), call.lineno), template))
    return found


def exception_classes(path):
    """Names of the exception classes a module_utils file defines (users meet them in tracebacks-free messages)."""
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    return [("%s:%d" % (os.path.relpath(path, REPO), node.lineno), node.name) for node in tree.body
            if isinstance(node, ast.ClassDef) and (node.name.endswith(("Error", "Exception", "Unavailable", "Failure")))]


def _yaml_messages(value, where, found):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "fail_msg" and isinstance(item, str):
                found.append((where, item))
            elif key == "problem" and isinstance(item, str):
                # the role's preflight checks: {ok: ..., problem: message}, joined into one fail_msg
                found.append((where, item))
            elif key in ("ansible.builtin.fail", "fail") and isinstance(item, dict) and isinstance(item.get("msg"), str):
                found.append((where, item["msg"]))
            else:
                _yaml_messages(item, where, found)
    elif isinstance(value, list):
        for item in value:
            _yaml_messages(item, where, found)


def yaml_messages(path):
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    found = []
    _yaml_messages(document, os.path.relpath(path, REPO), found)
    return found


def files_under(top, suffixes):
    for directory, _subdirectories, names in os.walk(os.path.join(REPO, top)):
        for name in sorted(names):
            if name.endswith(suffixes):
                yield os.path.join(directory, name)


def all_messages():
    """[(where, template)] of every message the collection can emit."""
    found = []
    for path in files_under("plugins", (".py",)):
        found += python_messages(path)
    for top in ("roles", "playbooks"):
        for path in files_under(top, (".yml", ".yaml")):
            if os.sep + "templates" + os.sep not in path:
                found += yaml_messages(path)
    return found


def all_classes():
    found = []
    for path in files_under(os.path.join("plugins", "module_utils"), (".py",)):
        found += exception_classes(path)
    return found


# --- what the page must hold -----------------------------------------------------------------------

def normalise(text):
    """Lower case, one space between words, no Markdown code marks or table escapes."""
    text = text.replace("\\|", "|").replace("`", "")
    return " ".join(text.split()).lower()


def key_of(template):
    """The beginning of the longest fixed part of a message, or None when no part is long enough."""
    parts = [normalise(part).strip(" .:;,'\"()-") for part in PLACEHOLDER.split(template) if part]
    longest = max(parts, key=len, default="")
    if len(longest) < MIN_KEY_LENGTH:
        return None
    if len(longest) <= KEY_LENGTH:
        return longest
    cut = longest[:KEY_LENGTH]
    return cut[:cut.rfind(" ")] if " " in cut else cut


def missing_from(page_text):
    text = normalise(page_text)
    missing = []
    for where, name in all_classes():
        if name.lower() not in text:
            missing.append((where, name, name))
    for where, template in all_messages():
        key = key_of(template)
        if key and key not in text:
            missing.append((where, key, template))
    return missing


def read_page():
    with open(PAGE, encoding="utf-8") as handle:
        return handle.read()


# --- tests -----------------------------------------------------------------------------------------

def test_the_extraction_finds_the_collection_messages():
    """Guards the extraction itself: a broken parser would make the completeness test pass vacuously."""
    templates = [template for _where, template in all_messages()]
    classes = [name for _where, name in all_classes()]
    assert len(templates) > 50
    assert {"MaterialError", "ConfigurationError", "UntrustedCertificateError", "TLSError"} <= set(classes)
    assert any("CreateSession failed with HTTP" in template for template in templates)
    assert any(where.startswith("roles" + os.sep) for where, _template in all_messages())
    assert any("must be smaller than enroll_validity_days" in template for template in templates)  # a preflight problem


@pytest.mark.parametrize("template, key", [
    ("--port %d is out of range", "is out of range"),
    ("CreateSession failed with HTTP %s %s: %s", "createsession failed with http"),
    ("User {{ user }} does not exist on {{ host }}: create it first", "does not exist on"),
    ("%s: %s", None),
])
def test_key_of(template, key):
    assert key_of(template) == key


def test_page_markdown_does_not_hide_a_key():
    assert normalise("| `a \\| b`  C |") == "| a | b c |"
    assert key_of("--port %d is out of range") in normalise("| `--port N is out of range` | ... |")


def test_every_error_message_is_on_the_troubleshooting_page():
    missing = missing_from(read_page())
    assert not missing, "docs/troubleshooting.md lacks %d error message(s); add a row for each:\n%s" % (
        len(missing), "\n".join("  %s: %s" % (where, key) for where, key, _template in missing))


def test_a_missing_message_is_reported():
    page = read_page()
    key = key_of("CreateSession failed with HTTP %s %s: %s")
    assert key in normalise(page)
    stripped = re.sub(re.escape("CreateSession failed with HTTP"), "", page, flags=re.I)
    assert any(found == key for _where, found, _template in missing_from(stripped))


if __name__ == "__main__":
    for where, key, template in missing_from(read_page() if os.path.exists(PAGE) else ""):
        print("%s\t%s\t%s" % (where, key, " ".join(template.split())))
    sys.exit(0)
