"""The course website as `make site` builds it: its pages, alt text, links and math, with nothing from elsewhere."""
from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import nbformat
import pytest

from autograd_labs.course import REPO_ROOT, lab_names
from autograd_labs.website import COLAB_BADGE, build
from autograd_labs.website.sphinx_ext import math_as_text

LABS = lab_names(REPO_ROOT)  # the site always has every lab, whatever LABS limits
# A 1x1 PNG: the figure of the small course below.
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


class Tags(HTMLParser):
    """The start tags of an HTML page, in order, as (tag, attributes), and the text of each <a>."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.link_texts: list[str] = []
        self._in_link = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self._in_link = True
            self.link_texts.append("")

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = False

    def handle_data(self, data):
        if self._in_link:
            self.link_texts[-1] += data

    def links(self) -> list[tuple[str, dict, str]]:
        """Return each <a> as (href, attributes, text)."""
        anchors = [attrs for tag, attrs in self.tags if tag == "a"]
        texts = [" ".join(text.split()) for text in self.link_texts]
        return [(attrs.get("href", ""), attrs, text) for attrs, text in zip(anchors, texts, strict=True)]

    def all(self, tag: str) -> list[dict]:
        return [attrs for name, attrs in self.tags if name == tag]


def page(website: Path, path: str) -> Tags:
    return Tags((website / path).read_text())


def figure_descriptions(notebook: Path) -> list[str]:
    """Return, for each image output of a lesson, the description after its cell as alt text reads it."""
    nb = nbformat.read(notebook, as_version=4)
    descriptions = []
    for cell, following in zip(nb.cells, nb.cells[1:], strict=False):
        images = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        text = following.source.removeprefix("*Figure description:*") if following.cell_type == "markdown" else ""
        plain = "".join(math_as_text(part[1:-1]) if part.startswith("$") else part[1:-1] if part.startswith("`")
                        else re.sub(r"\*(?! )|(?<! )\*", "", part) for part in re.split(r"(`[^`]*`|\$[^$]+\$)", text))
        descriptions += [" ".join(plain.split())] * len(images)
    return descriptions


def test_every_lesson_and_lab_has_a_page_in_course_order(website):
    """The home page links to each lesson and then its lab, lab by lab, and each page exists."""
    expected = [f"{section}/{lab}.html" for lab in LABS for section in ("lessons", "labs")]
    hrefs = [href for href, _, _ in page(website, "index.html").links()]
    in_order = list(dict.fromkeys(href for href in hrefs if href in expected))
    assert in_order == expected
    assert all((website / path).is_file() for path in expected)


@pytest.mark.parametrize("lab", LABS)
def test_lesson_figures_carry_their_description_as_alt_text(website, lab):
    """Every image of a lesson page has, as its alt text, the figure description that follows its cell."""
    images = page(website, f"lessons/{lab}.html").all("img")
    descriptions = figure_descriptions(REPO_ROOT / "notebooks" / f"{lab}.ipynb")
    assert images, f"the page of lesson {lab} shows no figure"
    assert [" ".join(image.get("alt", "").split()) for image in images] == descriptions
    assert all(descriptions), f"a figure of {lab} has no description"


@pytest.mark.parametrize("section, notebook",
                         [("labs", "release/{lab}/{lab}.ipynb"), ("lessons", "notebooks/{lab}.ipynb")])
@pytest.mark.parametrize("lab", LABS)
def test_pages_link_to_colab_and_to_their_notebook(website, lab, section, notebook):
    """A lab's page links to Colab as its release badge does, and downloads the student version byte for byte;
    a lesson's page does the same for the lesson."""
    path = REPO_ROOT / notebook.format(lab=lab)
    badge = COLAB_BADGE.match(nbformat.read(path, as_version=4).cells[0].source.strip())
    links = page(website, f"{section}/{lab}.html").links()
    assert ("Open in Colab", badge["url"]) in [(text, href) for href, _, text in links]
    downloads = [href for href, attrs, _ in links if "download" in attrs]
    assert len(downloads) == 1, f"{section}/{lab}.html has {len(downloads)} download links"
    assert (website / section / downloads[0]).resolve().read_bytes() == path.read_bytes()


@pytest.mark.parametrize("lab", LABS)
def test_labs_show_no_outputs_and_lessons_do(website, lab):
    """A lab's page is the student version, without outputs; its lesson's page shows the committed outputs."""
    assert "cell_output" not in (website / "labs" / f"{lab}.html").read_text()
    assert "cell_output" in (website / "lessons" / f"{lab}.html").read_text()


def test_no_page_loads_anything_from_another_host(website):
    """Scripts, styles, fonts, images and frames all come from the site itself: it works offline, as built."""
    remote = []
    for html in sorted(website.rglob("*.html")):
        for tag, attrs in Tags(html.read_text()).tags:
            loaded = attrs.get("src") or (attrs.get("href") if tag == "link" else None)
            if loaded and urlparse(urljoin("http://site.invalid/", loaded)).netloc != "site.invalid":
                remote.append(f"{html.relative_to(website)}: <{tag}> {loaded}")
    for css in sorted(website.rglob("*.css")):
        remote += [f"{css.relative_to(website)}: {url}" for url in
                   re.findall(r"(?:url\(|@import\s+)['\"]?((?:https?:)?//[^'\")\s]+)", css.read_text())]
    assert remote == []


def test_math_is_mathml(website):
    """Math is rendered as MathML when the site is built: no LaTeX is left for a script to typeset."""
    html = (website / "lessons" / "lab03_derivatives.html").read_text()
    assert html.count("<math") > 100
    text = re.sub(r"<(pre|code|math|script|style)\b.*?</\1>", "", html, flags=re.S)
    leftovers = re.findall(r"\$[^$<>\n]+\$|\\(?:frac|partial|sigma|text)\b", text)
    assert leftovers == []


def small_course(root: Path, description: str | None) -> Path:
    """Write a one-lab course under root: a lesson with one figure, followed by `description` when given."""
    shutil.copytree(REPO_ROOT / "site", root / "site", ignore=shutil.ignore_patterns("index.md", "__pycache__"))
    (root / "site" / "index.md").write_text("# A course\n\n```{toctree}\nlessons/lab01_tiny\nlabs/lab01_tiny\n```\n")
    (root / "source" / "lab01_tiny").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), root / "source" / "lab01_tiny" / "lab01_tiny.ipynb")
    badge = "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"
    url = "https://colab.research.google.com/github/ada/course/blob/main/{path}"
    figure = nbformat.v4.new_code_cell("plt.plot([1, 2])", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": PIXEL, "text/plain": "<Figure size 640x480 with 1 Axes>"})])
    python = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
              "language_info": {"name": "python"}}
    lesson = nbformat.v4.new_notebook(metadata=python, cells=[
        nbformat.v4.new_markdown_cell(badge.format(url=url.format(path="notebooks/lab01_tiny.ipynb"))),
        nbformat.v4.new_markdown_cell("# Lesson 1 - tiny"), figure,
        *([nbformat.v4.new_markdown_cell(description)] if description else []),
        nbformat.v4.new_markdown_cell("The end.")])
    (root / "notebooks").mkdir()
    nbformat.write(lesson, root / "notebooks" / "lab01_tiny.ipynb")
    lab = nbformat.v4.new_notebook(metadata=python, cells=[
        nbformat.v4.new_markdown_cell(badge.format(url=url.format(path="release/lab01_tiny/lab01_tiny.ipynb"))),
        nbformat.v4.new_markdown_cell("# Lab 1 - tiny")])
    (root / "release" / "lab01_tiny").mkdir(parents=True)
    nbformat.write(lab, root / "release" / "lab01_tiny" / "lab01_tiny.ipynb")
    return root


def test_a_figure_gets_the_description_that_follows_it(tmp_path):
    """In a small course, the figure's alt is its description, math read as text."""
    root = small_course(tmp_path, "*Figure description:* a line from $(1, 1)$ to $(2, \\partial y)$.")
    site = build(tmp_path / "build" / "site", root=root)
    assert [image["alt"] for image in page(site, "lessons/lab01_tiny.html").all("img")] == [
        "a line from (1, 1) to (2, ∂y)."]


def test_a_figure_without_its_description_stops_the_build(tmp_path, capsys):
    """A lesson figure not followed by its description is an error of `make site`, which names it."""
    root = small_course(tmp_path, None)
    with pytest.raises(ValueError, match="did not build"):
        build(tmp_path / "build" / "site", root=root)
    assert "a figure is not followed by a paragraph starting '*Figure description:*'" in capsys.readouterr().err


def test_a_notebook_without_its_colab_badge_stops_the_build(tmp_path):
    """The page's Colab link comes from the notebook's badge: a notebook without one is refused, named."""
    root = small_course(tmp_path, "*Figure description:* a line.")
    path = root / "release" / "lab01_tiny" / "lab01_tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    del nb.cells[0]
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="lab01_tiny.ipynb does not open with its Colab badge"):
        build(tmp_path / "build" / "site", root=root)

