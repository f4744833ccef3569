#!/usr/bin/env python3
"""Circles of files: in each crate named on the command line, which source files import
each other, directly or through others. A file imports another when it names an item
of that module by path (`crate::a::b`, `super::c`, `self::d`, or a `use` of them); a
parent's `mod child;` is a declaration, not an import. Re-exports (`pub use child::X`)
are imports, except a module's face: an item a parent re-exports from its own child
counts as an import of the child. The crate root (lib.rs, main.rs) is left out: it
declares every module. Exits 1 and lists each circle when there is one.

    python3 tests/boundaries/module_cycles.py crates/domain crates/inbound ...
"""

import os
import re
import sys

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)
COMMENT = re.compile(r"//[^\n]*")


def module_files(src):
    """Module path (tuple of names) -> file, for every .rs file under src."""
    modules = {}
    for root, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, name), src)[:-3].split(os.sep)
            if rel[-1] in ("lib", "main", "mod"):
                rel = rel[:-1]
            modules[tuple(rel)] = os.path.join(root, name)
    return modules


def resolve(modules, base, names):
    """The longest module prefix of base + names that is a file, and the names after it."""
    path = list(base)
    best, rest = None, []
    for i, name in enumerate(names):
        path.append(name)
        if tuple(path) in modules:
            best, rest = tuple(path), names[i + 1:]
    return best, rest


REEXPORT = re.compile(r"\bpub(?:\([a-z]+\))?\s+use\s+([A-Za-z_][A-Za-z0-9_:]*?)::(\{[^;]*\}|[A-Za-z_][A-Za-z0-9_]*|\*)\s*;", re.S)
DEFINED = re.compile(r"^pub\s+(?:async\s+)?(?:trait|struct|enum|type|fn|const|static|mod)\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)


def reexports(modules, texts):
    """Per module, the items it re-exports from one of its own children: item -> child.
    Naming such an item through the parent is an import of the child that defines it,
    not of the parent (a module's face is not a hub)."""
    faces = {}
    for module, text in texts.items():
        face = {}
        for prefix, items in REEXPORT.findall(COMMENT.sub("", text)):
            if prefix.split("::")[0] in ("crate", "super", "self"):
                continue
            child, _ = resolve(modules, module, prefix.split("::"))
            if child is None:
                continue
            if items == "*":
                # A glob: every public item the child defines (and mockall's mocks).
                for name in DEFINED.findall(texts[child]):
                    face[name] = child
                    face["Mock" + name] = child
                continue
            for item in re.split(r"[,\s{}]+", items):
                if item and item != "self":
                    face[item.split(" as ")[-1]] = child
        faces[module] = face
    return faces


def edges(modules, faces, module, text):
    text = COMMENT.sub("", text)
    # Test modules import what they test; they are not part of the design's graph.
    cut = text.find("#[cfg(test)]\nmod tests")
    if cut >= 0:
        text = text[:cut]
    is_dir = os.path.basename(modules[module]) in ("mod.rs", "lib.rs", "main.rs")
    here = module if is_dir else module[:-1]  # the module `self::` and siblings live in

    def base_of(anchor):
        if anchor == "crate":
            return ()
        if anchor == "self":
            return module
        return here[:-1] if is_dir else here  # super

    found = set()
    paths = [(a, rest) for a, rest in PATH.findall(text)]
    for anchor, prefix, group in USE_GROUP.findall(text):
        for item in re.split(r"[,\s{}]+", group):
            item = item.strip()
            if item and item not in ("self",):
                paths.append((anchor, prefix + "::" + item.replace("::", "::")))
            elif item == "self":
                paths.append((anchor, prefix))
    for anchor, rest in paths:
        names = [n for n in rest.split("::") if n]
        target, rest = resolve(modules, base_of(anchor), names)
        if target is None and anchor in ("super",):
            target = base_of(anchor) if base_of(anchor) in modules else None
            rest = names
        # An item re-exported from a child is the child's.
        seen = set()
        while target is not None and rest and rest[0] in faces.get(target, {}):
            if target in seen:
                break
            seen.add(target)
            target = faces[target][rest[0]]
        # The crate root declares every module and holds the crate's few shared items:
        # naming one of those is not an edge.
        if target is not None and target != module and target != ():
            found.add(target)
    return found


def cycles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main(crates):
    status = 0
    for crate in crates:
        src = os.path.join(crate, "src")
        modules = module_files(src)
        texts = {}
        for module, path in modules.items():
            with open(path, encoding="utf-8") as f:
                texts[module] = f.read()
        faces = reexports(modules, texts)
        graph = {m: edges(modules, faces, m, t) for m, t in texts.items()}
        for component in cycles(graph):
            status = 1
            files = sorted(os.path.relpath(modules[m], crate) for m in component)
            print(f"module-cycles: {crate}: {' <-> '.join(files)}")
    if status == 0:
        print(f"module-cycles: no circle of files in {', '.join(crates)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
