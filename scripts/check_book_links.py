#!/usr/bin/env python3
"""Checks the internal links of the book (docs/src/**/*.md), README.md and CONTRIBUTING.md.

A relative link must name a file that exists, and its `#anchor`, if any, must be the id of a
heading in the target page, by mdBook's rule: lowercase, spaces become '-', punctuation other
than '-' and '_' is dropped, and a repeated heading gets '-1', '-2'... Links to other sites
(a scheme such as https:, or mailto:) are not fetched. Prints file:line and the link of each
broken one, and exits 1 if there is any.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def prose_lines(path):
    """The lines of a Markdown file outside fenced code blocks, with inline code blanked."""
    in_fence = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield number, re.sub(r"`[^`]*`", "``", line)


def heading_id(text):
    """mdBook's id for a heading's text."""
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("`", "").strip().lower()
    return "".join(
        "-" if c == " " else c for c in text if c.isalnum() or c in "-_ "
    )


def anchors(path):
    """Every id the headings of a page produce, repeated headings numbered as mdBook does."""
    seen = {}
    ids = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else HEADING.match(line)
        if match:
            base = heading_id(match.group(2))
            count = seen.get(base, 0)
            ids.add(base if count == 0 else f"{base}-{count}")
            seen[base] = count + 1
    return ids


def broken_links(path):
    """(line, link, why) for each internal link of a page that leads nowhere."""
    for number, line in prose_lines(path):
        for target in LINK.findall(line):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            if not dest.exists():
                yield number, target, "no such file"
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                yield number, target, f"no heading with id '{anchor}' in {dest.name}"


def main():
    pages = sorted((ROOT / "docs" / "src").rglob("*.md"))
    pages += [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    failures = 0
    for page in pages:
        for number, target, why in broken_links(page):
            print(f"{page.relative_to(ROOT)}:{number}: {target} ({why})")
            failures += 1
    if failures:
        print(f"book links: {failures} broken", file=sys.stderr)
        return 1
    print(f"book links: {len(pages)} pages, every internal link leads somewhere")
    return 0


if __name__ == "__main__":
    sys.exit(main())
