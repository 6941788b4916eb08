#!/usr/bin/env python3
"""Writes the expected outputs of the golden templates with Python's Jinja2.

For each archive testdata/render/*.txtar and each NAME.jinja in it, renders
the template (without the newline txtar adds at its end) with the variables
of globals.json in an environment set up as dbt sets up Jinja2 (the do and
loopcontrols extensions, dbt's test/docs/materialization blocks, a return()
that ends the macro calling it), and writes NAME.out; when Jinja2 fails, it
drops NAME.out and keeps NAME.err (creating it with Python's message; the Go
test with -update replaces it by kiln's). Development only: the tests never
run Python.

Usage: python3 compiler/jinja/testdata/render/gen.py [archive ...]
"""
import glob
import json
import os
import sys

import jinja2
import jinja2.ext
import jinja2.nodes
import jinja2.runtime
import jinja2.sandbox


class MacroReturn(Exception):
    def __init__(self, value):
        self.value = value


class ReturnMacro(jinja2.runtime.Macro):
    def _invoke(self, arguments, autoescape):
        try:
            return super()._invoke(arguments, autoescape)
        except MacroReturn as e:
            return e.value


jinja2.runtime.Macro = ReturnMacro


def do_return(value=None):
    raise MacroReturn(value)


class BlockExtension(jinja2.ext.Extension):
    tags = {"test", "docs", "materialization"}

    def parse(self, parser):
        tag = parser.stream.current.value
        node = jinja2.nodes.Macro(lineno=next(parser.stream).lineno)
        name = parser.parse_assign_target(name_only=True).name
        node.args, node.defaults = [], []
        if tag == "test":
            parser.parse_signature(node)
            node.name = "test_" + name
        elif tag == "docs":
            node.name = "docs_" + name
        else:
            adapter = "default"
            while parser.stream.skip_if("comma"):
                target = parser.parse_assign_target(name_only=True)
                if target.name == "adapter":
                    parser.stream.expect("assign")
                    adapter = parser.parse_expression().value
            node.name = "materialization_%s_%s" % (name, adapter)
        node.body = parser.parse_statements(("name:end" + tag,), drop_needle=True)
        return node


def environment():
    env = jinja2.sandbox.SandboxedEnvironment(
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols", BlockExtension])
    env.globals["return"] = do_return
    for name in ("as_text", "as_bool", "as_native", "as_number"):
        env.filters[name] = lambda x: x
    return env


def parse_txtar(text):
    comment, files, name, buf = [], [], None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("-- ") and line.rstrip("\n").endswith(" --"):
            if name is not None:
                files.append((name, "".join(buf)))
            name, buf = line[3:-4].strip() if line.endswith("\n") else line[3:-3].strip(), []
            continue
        (buf if name is not None else comment).append(line)
    if name is not None:
        files.append((name, "".join(buf)))
    return "".join(comment), files


def format_txtar(comment, files):
    out = comment
    for name, data in files:
        if data and not data.endswith("\n"):
            data += "\n"
        out += "-- %s --\n%s" % (name, data)
    return out


def main(paths):
    here = os.path.dirname(os.path.abspath(__file__))
    paths = paths or sorted(glob.glob(os.path.join(here, "*.txtar")))
    for path in paths:
        with open(path) as f:
            comment, files = parse_txtar(f.read())
        data = dict(files)
        ctx = json.loads(data.get("globals.json", "{}"))
        out = []
        for name, text in files:
            if name.endswith(".out") or name.endswith(".err"):
                continue
            out.append((name, text))
            if not name.endswith(".jinja"):
                continue
            base = name[:-len(".jinja")]
            src = text[:-1] if text.endswith("\n") else text
            try:
                result = environment().from_string(src).render(**json.loads(json.dumps(ctx)))
                out.append((base + ".out", result + "\n"))
            except Exception as e:  # noqa: BLE001 - any failure is an expected error
                err = data.get(base + ".err") or "python: %s: %s\n" % (type(e).__name__, e)
                out.append((base + ".err", err))
        with open(path, "w") as f:
            f.write(format_txtar(comment, out))


if __name__ == "__main__":
    main(sys.argv[1:])
