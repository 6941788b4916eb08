#!/usr/bin/env python3
"""Writes the expected outputs of render.txtar with Python's Jinja2.

Loads dbt-utils' macros (package dbt_utils) and dbt_stubs.sql (package dbt)
and renders each NAME.jinja of render.txtar with the same adapter,
relations, columns and context stubs as dbtutils_test.go, in dbt's Jinja
setup (see ../render/gen.py), writing NAME.out. Development only.

Usage: python3 gen.py [path to dbt-utils, default /work/shared/dbt/dbt-utils]
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "render"))
import gen as base  # noqa: E402


class Namespace(dict):
    """A package's macros: dbt_utils.x reads the item x, as dbt's
    namespaces are mappings (the sandbox would refuse an attribute "_x")."""


class Relation(dict):
    def __init__(self, schema, name, cols):
        super().__init__(database="main", schema=schema, identifier=name,
                         metadata={"type": "DuckDBRelation"})
        self.schema, self.name, self.identifier, self.table = schema, name, name, name
        self.database, self.is_cte, self.cols = "main", False, cols

    def __str__(self):
        return '"main"."%s"."%s"' % (self.schema, self.name)

    def __hash__(self):
        return id(self)


class Column:
    def __init__(self, name):
        self.name = self.column = name
        self.quoted = '"%s"' % name
        self.data_type = self.dtype = "VARCHAR"

    def is_string(self):
        return self.name != "amount"


class Adapter:
    def __init__(self, pkgs):
        self.pkgs = pkgs

    def dispatch(self, macro_name, macro_namespace=None):
        ns = macro_namespace or "dbt"
        for prefix in ("duckdb__", "default__"):
            m = self.pkgs[ns].get(prefix + macro_name)
            if m is not None:
                return m
        raise Exception("no implementation of %s.%s for duckdb" % (ns, macro_name))

    def quote(self, x):
        return '"%s"' % x

    def get_columns_in_relation(self, rel):
        return [Column(c) for c in rel.cols]


class Flags:
    WHICH = "compile"


class Modules:
    import re


class Exceptions:
    def raise_compiler_error(self, msg):
        raise Exception(msg)

    def warn(self, msg):
        return ""


def main(args):
    root = args[0] if args else "/work/shared/dbt/dbt-utils"
    here = os.path.dirname(os.path.abspath(__file__))
    env = base.environment()
    pkgs = {"dbt_utils": {}, "dbt": {}}
    ctx = dict(env.globals)

    def load(pkg, text):
        # Each macro file is a module rendered with the shared context, as
        # dbt makes macros: free names resolve through ctx at call time.
        # (shared=True keeps ctx by reference; context.vars holds the
        # macros whose names start with "_" too, which modules hide).
        template = env.from_string(text)
        context = template.new_context(ctx, shared=True)
        for _ in template.root_render_func(context):
            pass
        for name, value in context.vars.items():
            if isinstance(value, base.jinja2.runtime.Macro):
                pkgs[pkg][name] = value

    for path in sorted(glob.glob(os.path.join(root, "macros", "**", "*.sql"), recursive=True)):
        with open(path) as f:
            load("dbt_utils", f.read())
    with open(os.path.join(here, "dbt_stubs.sql")) as f:
        load("dbt", f.read())

    def statement(name=None, fetch_result=False, auto_begin=True, caller=None):
        caller()
        return ""

    ctx.update({
        "adapter": Adapter(pkgs),
        "execute": True,
        "orders": Relation("shop", "orders", ["id", "customer_id", "secret", "amount"]),
        "raw_events": Relation("raw", "events", ["event_id", "url", "ts"]),
        "var": lambda name, default=None: default,
        "config": lambda **kw: "",
        "flags": Flags(),
        "modules": Modules(),
        "should_store_failures": lambda: False,
        "exceptions": Exceptions(),
        "statement": statement,
        "load_result": lambda name: {"data": [[7]]},
        "dbt_utils": Namespace(pkgs["dbt_utils"]),
        "dbt": Namespace(pkgs["dbt"]),
    })
    # A package's macros see each other unqualified, and dbt's globally.
    for pkg in ("dbt", "dbt_utils"):
        for name, m in pkgs[pkg].items():
            ctx.setdefault(name, m)

    path = os.path.join(here, "render.txtar")
    with open(path) as f:
        comment, files = base.parse_txtar(f.read())
    out = []
    for name, text in files:
        if name.endswith(".out"):
            continue
        out.append((name, text))
        if name.endswith(".jinja"):
            src = text[:-1] if text.endswith("\n") else text
            result = env.from_string(src, globals=ctx).render()
            out.append((name[:-len(".jinja")] + ".out", result + "\n"))
    with open(path, "w") as f:
        f.write(base.format_txtar(comment, out))


if __name__ == "__main__":
    main(sys.argv[1:])
