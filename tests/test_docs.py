"""The README and docs/ stay a front door and a set of pages that hold together: the README is
short and links every page, every relative link resolves to a file and, where it names one, to a
heading there, and the configuration reference is what the schema says."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from mlp import config_reference
from mlp.plan import PROJECT_DIR

README = PROJECT_DIR / "README.md"
DOCS = PROJECT_DIR / "docs"
README_MAX_LINES = 300

# CommonMark, as GitHub renders it (tables on); links come out of the token stream, so links in
# code spans and fences are not links, and reference-style links are resolved by the parser.
_MARKDOWN = MarkdownIt("commonmark").enable("table")


def markdown_files() -> list[Path]:
    """Every Markdown file of the repository: tracked, or new and not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
    ).stdout.split()
    return sorted({PROJECT_DIR / name for name in listed if (PROJECT_DIR / name).is_file()})


def _inline_tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _inline_tokens(token.children)


def links(text: str) -> list[str]:
    """The destination of every link and image in a Markdown text."""
    found = []
    for token in _inline_tokens(_MARKDOWN.parse(text)):
        if token.type == "link_open":
            found.append(str(token.attrs["href"]))
        elif token.type == "image":
            found.append(str(token.attrs["src"]))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading (github-slugger): lower case; letters, marks, numbers,
    underscores, hyphens and spaces kept, everything else dropped; spaces become hyphens."""
    kept = "".join(
        char for char in heading.lower()
        if char.isalnum() or char in " -_" or unicodedata.category(char).startswith("M")
    )
    return kept.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a Markdown text's headings: a repeated slug gets -1, -2, ..."""
    tokens = _MARKDOWN.parse(text)
    seen: dict[str, int] = {}
    found = set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        words = "".join(
            child.content
            for child in inline.children or []
            if child.type in ("text", "code_inline")
        )
        base = slug(words)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


@cache
def _anchors_of(path: Path) -> frozenset[str]:
    return frozenset(anchors(path.read_text()))


def broken_links(source: Path, text: str, root: Path = PROJECT_DIR) -> list[str]:
    """Each relative link of `text` (written in `source`) that names no file inside `root`, or a
    heading its target Markdown file does not have, with the reason."""
    problems = []
    for href in links(text):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # absolute: https://, mailto:; not checked offline
        path, fragment = unquote(parts.path), unquote(parts.fragment)
        if not path:  # a heading of this very text
            if fragment not in anchors(text):
                problems.append(f"{href}: {source.name} has no heading #{fragment}")
            continue
        target = (source.parent / path).resolve()
        if not target.is_relative_to(root.resolve()):
            problems.append(f"{href}: outside the repository")
        elif not target.exists():
            problems.append(f"{href}: no such file {target.relative_to(root.resolve())}")
        elif fragment and target.suffix == ".md":
            if fragment not in _anchors_of(target):
                problems.append(f"{href}: {target.name} has no heading #{fragment}")
        elif fragment:
            line = re.fullmatch(r"L(\d+)", fragment)
            if not line or int(line[1]) > len(target.read_text().splitlines()):
                problems.append(f"{href}: {target.name} has no line anchor #{fragment}")
    return problems


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(PROJECT_DIR)))
def test_every_relative_link_resolves(path: Path):
    problems = broken_links(path, path.read_text())
    assert not problems, f"{path.relative_to(PROJECT_DIR)}: broken links:\n" + "\n".join(problems)


# Top-level folders of this repository: a code span starting with one names a path here. docs/
# is left out (the pages cite upstream paths such as `docs/guide/ingress/annotations.md`, and the
# pages themselves are checked as links).
REPOSITORY_FOLDERS = (
    "components/", "infra/", "mlp/", "policy/", "tests/", "tools/", "services/", "data/",
    ".github/", ".ci/",
)


def missing_paths(text: str, root: Path = PROJECT_DIR) -> list[str]:
    """Each repository path a text names in a code span (`components/search/search_sizing.py`)
    that does not exist; placeholders (`services/<name>/`) and URN tails are not paths."""
    missing = []
    for token in _inline_tokens(_MARKDOWN.parse(text)):
        if token.type != "code_inline" or not token.content.startswith(REPOSITORY_FOLDERS):
            continue
        path = token.content.split("::")[0].rstrip(",.:;")
        if re.search(r"[<>*{}$\s]", path):
            continue
        if not (root / path).exists():
            missing.append(path)
    return missing


@pytest.mark.parametrize(
    "path", [README, *sorted(DOCS.glob("**/*.md"))], ids=lambda p: str(p.relative_to(PROJECT_DIR))
)
def test_every_repository_path_named_exists(path: Path):
    missing = missing_paths(path.read_text())
    assert not missing, (
        f"{path.relative_to(PROJECT_DIR)} names paths that do not exist: {missing}"
    )


def test_the_path_check_finds_what_is_missing(tmp_path: Path):
    (tmp_path / "components" / "search").mkdir(parents=True)
    (tmp_path / "components" / "search" / "search_sizing.py").write_text("")
    text = (
        "`components/search/search_sizing.py` `components/search_sizing.py` `services/<name>/`"
        " `docs/guide/x.md` `uv run mlp plan dev`\n\n```\ncomponents/in_fence.py\n```\n"
    )
    assert missing_paths(text, root=tmp_path) == ["components/search_sizing.py"]


def test_the_link_check_finds_what_is_broken(tmp_path: Path):
    """The checker itself: a missing file, a missing heading, a repeated heading's suffix, links in
    code (not links), reference-style links and images."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text(
        "# Page\n\n## `mlp diff STACK --base REF`: the priced diff\n\n## Twice\n\n## Twice\n"
    )
    (tmp_path / "tool.py").write_text("one\ntwo\n")
    source = tmp_path / "README.md"
    text = """# Top
[ok](docs/page.md) [ok](docs/page.md#mlp-diff-stack---base-ref-the-priced-diff)
[ok](docs/page.md#twice) [ok](docs/page.md#twice-1) [ok](#top) [ok](tool.py#L2)
[ok](https://example.com/nowhere.md) `[code](missing-in-code.md)`
[gone](docs/missing.md) [no heading](docs/page.md#twice-2) [ref][r] ![img](img.png)
[up](../outside.md) [line](tool.py#L3) [self](#nothing)

```
[fenced](missing-in-fence.md)
```

[r]: docs/reference-missing.md
"""
    problems = broken_links(source, text, root=tmp_path)
    assert [problem.split(":")[0] for problem in problems] == [
        "docs/missing.md", "docs/page.md#twice-2", "docs/reference-missing.md", "img.png",
        "../outside.md", "tool.py#L3", "#nothing",
    ], problems


def test_slugs_follow_github():
    assert slug("`mlp cost STACK`") == "mlp-cost-stack"
    assert slug("Why `exposed: internal` is refused") == "why-exposed-internal-is-refused"
    assert slug("The one deviation: GPU pools need 3 types, not 4") == (
        "the-one-deviation-gpu-pools-need-3-types-not-4"
    )
    assert slug("Add-on versions against Kubernetes 1.35") == (
        "add-on-versions-against-kubernetes-135"
    )
    assert slug("snake_case stays") == "snake_case-stays"


def test_readme_is_the_front_door():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f"README.md has {len(lines)} lines, at most {README_MAX_LINES}: move depth to docs/"
    )


def test_readme_links_every_docs_page():
    linked = {
        (README.parent / urlsplit(href).path).resolve()
        for href in links(README.read_text())
        if not urlsplit(href).scheme and urlsplit(href).path
    }
    pages = sorted(DOCS.glob("**/*.md"))
    assert pages, "docs/ has no pages"
    missing = [str(page.relative_to(PROJECT_DIR)) for page in pages if page.resolve() not in linked]
    assert not missing, f"README.md links no {missing}"


def test_readme_quickstart_is_the_two_commands():
    readme = README.read_text()
    quickstart = readme[readme.index("## Quickstart") :]
    block = re.search(r"```sh\n(.*?)```", quickstart, re.DOTALL)
    assert block, "README.md quickstart has no command block"
    commands = [line.split("#")[0].strip() for line in block[1].splitlines() if line.strip()]
    assert commands == ["uv run mlp plan dev", "uv run pytest"]


def test_every_docs_page_says_what_it_covers_and_links_a_neighbour():
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text()
        assert text.startswith("# "), f"{page.name} does not open with its title"
        first_paragraph = text.split("\n\n")[1]
        assert not first_paragraph.startswith(("#", "|", "-", "```")), (
            f"{page.name}: the title is not followed by a paragraph saying what the page covers"
        )
        neighbours = [href for href in links(text) if urlsplit(href).path.endswith(".md")]
        assert neighbours, f"{page.name} links no other page"


def test_configuration_reference_matches_the_schema():
    page = PROJECT_DIR / config_reference.PAGE
    text = page.read_text()
    assert config_reference.START in text, f"{config_reference.PAGE} lacks the reference block"
    assert config_reference.replace_block(text) == text, (
        f"{config_reference.PAGE}: the configuration reference is stale: "
        "run `uv run mlp config-reference --write`"
    )


def test_config_reference_write_rewrites_the_docs_page(tmp_path: Path, capsys):
    """`mlp config-reference --write` rewrites the block in docs/configuration.md, leaving the
    text around it, and says so; a second run finds nothing to change."""
    from mlp.cli import main

    page = tmp_path / config_reference.PAGE
    page.parent.mkdir()
    block = f"{config_reference.START}\n| stale |\n{config_reference.END}"
    stale = f"# Configuration\n\nkept\n\n{block}\n\nkept too\n"
    page.write_text(stale)
    assert main(["--project-dir", str(tmp_path), "config-reference", "--write"]) == 0
    assert "updated" in capsys.readouterr().out
    text = page.read_text()
    assert "| stale |" not in text and "`ml-platform:region`" in text
    assert text.startswith("# Configuration\n\nkept\n\n") and text.endswith("\n\nkept too\n")
    assert main(["--project-dir", str(tmp_path), "config-reference", "--write"]) == 0
    assert "already up to date" in capsys.readouterr().out


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_cost_figures_are_what_mlp_cost_prints(stack, plan, scratch_project, stack_document):
    """docs/cost.md's floor and baseline tables and the README quote `mlp cost STACK [--naive]
    --as-of 2026-11-28` with the images pinned (tests/data/pinned-images.yaml); a change that
    moves a figure must update them. Priced as `mlp cost` prices, from the session's plan."""
    import datetime as dt

    import yaml

    from mlp.cost.prices import PriceTable
    from mlp.cost.stack import estimate_resources, stack_settings

    page = (DOCS / "cost.md").read_text()
    assert "--as-of 2026-11-28" in page, "docs/cost.md no longer names the day of its figures"
    inventory = plan(stack, images="pinned")
    project = scratch_project(stack, yaml.safe_dump(stack_document(stack, images="pinned")))
    settings, prices, day = stack_settings(project, stack), PriceTable.load(), dt.date(2026, 11, 28)
    posture, baseline = (
        estimate_resources(
            inventory.resources, settings, stack, prices=prices, naive=naive, as_of=day
        ).estimate.to_json()
        for naive in (False, True)
    )
    total, floor = posture["monthly_total"], posture["floor_total"]
    naive_total = baseline["monthly_total"]
    money = r"([\d,]+\.\d\d)"
    floors = re.search(rf"^  \| {stack} \| {money} \| {money} \| ([\d.]+) \|", page, re.MULTILINE)
    assert floors, f"docs/cost.md has no {stack} row in the floor table"
    rows = re.search(
        rf"^\| {stack} \| {money} \| {money} \| {money} \| ([\d.]+) \|", page, re.MULTILINE
    )
    assert rows, f"docs/cost.md has no {stack} row in the baseline table"
    quoted_floor = [float(value.replace(",", "")) for value in floors.groups()]
    quoted_rows = [float(value.replace(",", "")) for value in rows.groups()]
    assert quoted_floor == pytest.approx([total, floor, round(total / floor, 2)], abs=0.005)
    assert quoted_rows == pytest.approx(
        [total, floor, naive_total, round(naive_total / total, 2)], abs=0.005
    )
    readme = README.read_text()
    assert f"{total:,.2f}" in readme and f"{naive_total:,.2f}" in readme, (
        f"README.md does not quote {stack}'s posture {total:,.2f} and baseline {naive_total:,.2f}"
    )


def test_readme_layout_names_every_component_package():
    """The tree and the README show the same architecture: the layout tour names each
    subpackage of components/, and names none that is gone."""
    readme = README.read_text()
    start = readme.index("## Layout")
    layout = readme[start : readme.index("\n## ", start + 1)]
    packages = {
        path.parent.name for path in (PROJECT_DIR / "components").glob("*/__init__.py")
    }
    named = set(re.findall(r"`components/(\w+)/`", layout))
    assert packages - named == set(), f"README layout misses components/{sorted(packages - named)}"
    assert named - packages == set(), (
        f"README layout names components/{sorted(named - packages)}, which do not exist"
    )


# A project path in a source comment or docstring: our own folders, and docs/ pages (one level;
# the nested `docs/deploy/...` paths cited in the code are upstream projects' documentation).
_SOURCE_PATH = re.compile(
    r"(?<![\w./-])((?:components|infra|mlp|policy|tests|tools)/[\w./-]*\w\.(?:py|md|yaml|yml|json|txt|csv)"
    r"|docs/[\w-]+\.md)"
)


def stale_source_paths(text: str, root: Path = PROJECT_DIR) -> list[str]:
    """Each project path `text` names that does not exist (placeholders like `<name>` never match)."""
    return [m[1] for m in _SOURCE_PATH.finditer(text) if not (root / m[1]).exists()]


def _tracked_source_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    skip = {"uv.lock", "tests/test_docs.py"}  # the checks' own examples name missing paths on purpose
    return [
        PROJECT_DIR / name
        for name in listed
        if name not in skip and not name.endswith(".md") and (PROJECT_DIR / name).is_file()
        and Path(name).suffix in {".py", ".yaml", ".yml", ".toml", ".json", ".txt", ".mjs", ""}
    ]


def test_every_project_path_the_code_names_exists():
    """Comments that point a reader at a module or a docs page go stale when files move."""
    stale = {
        str(path.relative_to(PROJECT_DIR)): found
        for path in _tracked_source_files()
        if (found := stale_source_paths(path.read_text(errors="replace")))
    }
    assert not stale, f"source files name project paths that do not exist: {stale}"


def test_the_source_path_check_finds_a_moved_module(tmp_path: Path):
    (tmp_path / "components" / "search").mkdir(parents=True)
    (tmp_path / "components" / "search" / "search_sizing.py").write_text("")
    text = (
        "# see components/search_sizing.py and components/search/search_sizing.py, docs/cost.md,\n"
        "# and the controller's docs/deploy/installation.md (upstream, nested: not ours)\n"
    )
    assert stale_source_paths(text, root=tmp_path) == ["components/search_sizing.py", "docs/cost.md"]
