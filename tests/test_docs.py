"""Documentation: the site's nav, the links, and the README's code run as printed.

Cheap checks that need no mkdocs: ``make docs`` builds the site itself (strict).
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def nav_pages():
    """The .md files named in the nav of mkdocs.yml."""
    text = (ROOT / "mkdocs.yml").read_text()
    nav = text.split("\nnav:", 1)[1]
    return re.findall(r"^\s*-\s*(?:[^:\n]+:\s*)?([\w./-]+\.md)\s*$", nav, flags=re.M)


def test_every_nav_page_exists():
    pages = nav_pages()
    assert "index.md" in pages and "api.md" in pages and "cli.md" in pages
    missing = [p for p in pages if not (DOCS / p).is_file()]
    assert not missing, f"mkdocs.yml names pages that do not exist: {missing}"
    assert len(pages) == len(set(pages))


def test_api_reference_names_public_objects():
    import fastopt

    names = re.findall(r"^::: fastopt\.(\w+)", (DOCS / "api.md").read_text(), flags=re.M)
    for name in names:
        assert name in fastopt.__all__ or name in ("plot", "kernels"), name


# README and the pages of issue 7 (the other guides' links are checked by `make docs`)
@pytest.mark.parametrize("page", ["README.md", "index.md", "cli.md", "embedding.md",
                                  "benchmarks.md", "api.md"])
def test_relative_links_resolve(page):
    path = ROOT / page if page == "README.md" else DOCS / page
    text = path.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        file = target.split("#", 1)[0]
        assert (path.parent / file).exists(), f"{page}: broken link {target}"


def python_blocks(path):
    return re.findall(r"^```python\n(.*?)^```", path.read_text(), flags=re.M | re.S)


def test_readme_quick_start_is_the_two_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("```")[1]
    assert quick.split() == ["make", "demo", "make", "test"]


def test_readme_python_examples_run():
    blocks = python_blocks(ROOT / "README.md")
    assert len(blocks) >= 2
    out = io.StringIO()
    for block in blocks:
        with contextlib.redirect_stdout(out):
            exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    lines = out.getvalue().splitlines()
    assert lines[0] == "[3. 2.] 0.0 1002001"
    assert lines[1] == str(["MINIMUM"] * 4 + ["SADDLE"] * 4 + ["MAXIMUM"])
