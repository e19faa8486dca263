#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a circle, or
when two of its files share a name.

Layers only stay one-way if something notices the first arrow that points
back up, so CI runs this over every crate of the workspace. It reads the
`crate::`, `super::` and `self::` paths of each file (in `use` lines and
inline), resolves each to the module file that defines it (following a
parent's `pub use` re-exports to the child that really defines the name),
and reports two kinds of cycle:

- between files: a set of files that reach each other;
- between the top-level modules of a crate (its folders): `a` uses `b` and
  `b` uses `a`, even through different files.

Two files of one crate with the same name (`mod.rs`, `lib.rs` and `main.rs`
aside) make a reader ask which one a path means: each name says one thing.

A parent module declaring its children (`mod x;`), re-exporting their items
or sharing its own with them is not an arrow between layers: a module's
submodules are its parts. Unit tests (`mod tests`) are left out: a test may
build its fixtures with a higher layer.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
MOD_DECL = re.compile(rf"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+({IDENT})\s*;", re.M)
PATH = re.compile(rf"\b(crate|super|self)((?:::{IDENT})+)")
USE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", re.M | re.S)
REEXPORT_NAME = re.compile(rf"({IDENT})\s*(?:as\s+({IDENT}))?\s*$")


def strip_comments(text: str) -> str:
    """Drops line comments (doc links are not imports) and string literals."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def expand_use(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` -> [`a::b`, `a::c::d`, `a::c::e`]."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [tree]
    prefix, depth, parts, start = tree[:brace], 0, [], brace + 1
    for i in range(brace, len(tree)):
        if tree[i] == "{":
            depth += 1
        elif tree[i] == "}":
            depth -= 1
            if depth == 0:
                parts.append(tree[start:i])
                break
        elif tree[i] == "," and depth == 1:
            parts.append(tree[start:i])
            start = i + 1
    return [p for part in parts if part for p in expand_use(prefix + part)]


class Crate:
    """The module files of one crate root (a lib.rs or a main.rs)."""

    def __init__(self, root_file: Path):
        self.root_file = root_file
        self.files: dict[tuple[str, ...], Path] = {}
        self.reexports: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {}
        self._collect((), root_file)

    def _collect(self, module: tuple[str, ...], file: Path) -> None:
        self.files[module] = file
        text = strip_comments(file.read_text())
        own_dir = file.parent if file.name in ("lib.rs", "main.rs", "mod.rs") else (
            file.parent / file.stem)
        for name in MOD_DECL.findall(text):
            for candidate in (own_dir / f"{name}.rs", own_dir / name / "mod.rs"):
                if candidate.exists():
                    self._collect(module + (name,), candidate)
                    break

    def absolute(self, module: tuple[str, ...], path: str) -> tuple[str, ...] | None:
        head, *rest = path.split("::")
        if head == "crate":
            base = ()
        elif head == "self":
            base = module
        else:
            base = module
            while head == "super":
                if not base:
                    return None
                base = base[:-1]
                head, *rest = rest or [""]
            rest = [head] + rest
        return base + tuple(r for r in rest if r)

    def resolve(self, target: tuple[str, ...], hops: int = 0) -> tuple[str, ...]:
        """The module file that defines `target` (a module or an item in one)."""
        for cut in range(len(target), -1, -1):
            module = target[:cut]
            if module in self.files:
                if cut < len(target) and hops < 8:
                    origin = self.reexports.get(module, {}).get(target[cut])
                    if origin is not None:
                        return self.resolve(origin + target[cut + 1:], hops + 1)
                return module
        return ()

    def read_reexports(self) -> None:
        for module, file in self.files.items():
            text = strip_comments(file.read_text())
            names: dict[str, tuple[str, ...]] = {}
            for visibility, tree in USE.findall(text):
                if not visibility:
                    continue
                for path in expand_use(tree):
                    match = REEXPORT_NAME.search(path)
                    if not match or path.endswith("*"):
                        continue
                    full = path[: match.start()].rstrip(":") + "::" + match.group(1)
                    if not re.match(r"(crate|super|self)::", full):
                        full = "self::" + full
                    absolute = self.absolute(module, full)
                    if absolute:
                        names[match.group(2) or match.group(1)] = absolute
            self.reexports[module] = names

    def edges(self) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
        self.read_reexports()
        graph: dict[tuple[str, ...], set[tuple[str, ...]]] = {m: set() for m in self.files}
        for module, file in self.files.items():
            text = strip_comments(file.read_text())
            inline = inline_modules(text)
            found: list[tuple[int, str]] = []
            for use in USE.finditer(text):
                # A re-export is the folder's facade, not the parent's own use.
                if not use.group(1):
                    found += [(use.start(), p) for p in expand_use(use.group(2))]
            rest = USE.sub(lambda m: " " * len(m.group(0)), text)
            found += [(m.start(), m.group(0)) for m in PATH.finditer(rest)]
            for position, path in found:
                if not re.match(r"(crate|super|self)::", path):
                    continue
                if any(start < position < end for start, end, n in inline if n == "tests"):
                    continue
                scope = module + tuple(n for start, end, n in inline if start < position < end)
                absolute = self.absolute(scope, path)
                if absolute is None:
                    continue
                target = self.resolve(absolute)
                if not related(target, module):
                    graph[module].add(target)
        return graph


def related(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One module is the other or contains it: a file's own submodules are
    its parts, not a layer of their own."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def inline_modules(text: str) -> list[tuple[int, int, str]]:
    """The spans of `mod name { ... }` blocks (tests, mostly): paths inside
    them are relative to the inline module, not to the file."""
    spans = []
    for match in re.finditer(rf"\bmod\s+({IDENT})\s*\{{", text):
        depth, end = 0, len(text)
        for i in range(match.end() - 1, len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    end = i
                    break
        spans.append((match.end(), end, match.group(1)))
    return spans


def strongly_connected(graph: dict) -> list[list]:
    """Tarjan's algorithm; returns the components with more than one node."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in graph:
        if node not in index:
            visit(node)
    return found


def name(module: tuple[str, ...]) -> str:
    return "::".join(module) or "(root)"


def check(root_file: Path) -> list[str]:
    crate = Crate(root_file)
    graph = crate.edges()
    label = root_file.relative_to(ROOT)
    problems = []
    for component in strongly_connected(graph):
        arrows = [f"{name(a)} -> {name(b)}" for a in component for b in sorted(graph[a])
                  if b in component]
        problems.append(f"{label}: files in a cycle: " + "; ".join(arrows))
    seen: dict[str, list[str]] = {}
    for module, file in crate.files.items():
        if file.name not in ("mod.rs", "lib.rs", "main.rs"):
            seen.setdefault(file.name, []).append(str(file.relative_to(ROOT)))
    for file_name, paths in sorted(seen.items()):
        if len(paths) > 1:
            problems.append(f"{label}: files share the name {file_name}: {', '.join(paths)}")
    folders: dict = {}
    for source, targets in graph.items():
        for target in targets:
            if source[:1] and target[:1] and source[:1] != target[:1]:
                folders.setdefault(source[:1], set()).add(target[:1])
    for component in strongly_connected(folders):
        arrows = []
        for a in component:
            for b in sorted(folders[a]):
                if b in component:
                    why = sorted(name(s) + " -> " + name(t) for s, ts in graph.items()
                                 for t in ts if s[:1] == a and t[:1] == b)
                    arrows.append(f"{name(a)} -> {name(b)} ({', '.join(why)})")
        problems.append(f"{label}: top-level modules in a cycle: " + "; ".join(arrows))
    return problems


def main() -> int:
    roots = sorted(p for pattern in ("*/src/lib.rs", "*/src/main.rs")
                   for p in ROOT.glob(pattern) if "target" not in p.parts)
    problems = [problem for root in roots for problem in check(root)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the module layout", file=sys.stderr)
        return 1
    print(f"modules: no cycle and no shared file name in {len(roots)} crate roots")
    return 0


if __name__ == "__main__":
    sys.exit(main())
