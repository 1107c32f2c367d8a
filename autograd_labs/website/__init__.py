"""The course website (`make site`): the lessons with their outputs and the labs' student versions, built offline.

`stage` lays out a Sphinx source folder: the home page from `site/`, each lesson (from `notebooks/`) and each lab
(from `release/`) as a page whose first cell, the Colab badge, becomes a text link to Colab and a download link to
the notebook itself. `build` stages and runs Sphinx with `site/conf.py`; nothing is executed and nothing is fetched.
"""
from __future__ import annotations

import re
import shutil
import warnings
from pathlib import Path

import nbformat

from autograd_labs.course import REPO_ROOT, lab_names

SITE_DIR = "site"
COLAB_BADGE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\((?P<url>https://colab\.research\.google\.com/[^)\s]+)\)$")
# The site's sections: a folder of pages, and where each lab's notebook for it comes from.
SECTIONS = {"lessons": "notebooks/{lab}.ipynb", "labs": "release/{lab}/{lab}.ipynb"}


def links_cell(url: str, download: str, name: str) -> str:
    """Return the MyST text that replaces a notebook's Colab badge on its page: two plain links, no remote image."""
    return f"```{{container}} notebook-links\n[Open in Colab]({url})\n[Download {name}](path:{download})\n```"


def stage_notebook(notebook: Path, srcdir: Path, section: str) -> Path:
    """Write `notebook`'s page into srcdir/section and its unchanged copy into srcdir/downloads/section."""
    download = srcdir / "downloads" / section / notebook.name
    download.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, download)
    nb = nbformat.read(notebook, as_version=4)
    badge = COLAB_BADGE.match(nb.cells[0].source.strip()) if nb.cells and nb.cells[0].cell_type == "markdown" else None
    if badge is None:
        raise ValueError(f"{notebook} does not open with its Colab badge, which its page turns into a link")
    nb.cells[0].source = links_cell(badge["url"], f"../downloads/{section}/{notebook.name}", notebook.name)
    page = srcdir / section / notebook.name
    page.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, page)
    return page


def stage(srcdir: Path, root: Path = REPO_ROOT) -> list[Path]:
    """Lay out the site's Sphinx source folder in srcdir (emptied first) and return the notebook pages."""
    if srcdir.exists():
        shutil.rmtree(srcdir)
    shutil.copytree(root / SITE_DIR, srcdir, ignore=shutil.ignore_patterns("conf.py", "_static", "__pycache__"))
    pages = []
    for lab in lab_names(root):
        for section, pattern in SECTIONS.items():
            pages.append(stage_notebook(root / pattern.format(lab=lab), srcdir, section))
    return pages


def build(outdir: Path | None = None, root: Path = REPO_ROOT, quiet: bool = True) -> Path:
    """Build the website into outdir (default: build/site/) and return it; raise ValueError when Sphinx fails.

    Warnings are errors: a figure without its description, math that cannot be rendered or a broken reference
    stops the build.
    """
    from sphinx.cmd.build import build_main

    outdir = Path(outdir or root / "build" / "site")
    work = outdir.parent / f"{outdir.name}-work"  # the staged sources, Sphinx's doctrees, the outputs' images
    stage(work / "src", root)
    args = ["-b", "html", "-W", "--keep-going", "-E", "-c", str(root / SITE_DIR), "-d", str(work / "doctrees"),
            str(work / "src"), str(outdir)]
    with warnings.catch_warnings():
        # myst-parser 5.2 still reads an attribute Sphinx 9 deprecates: its maintainers', not a site author's, to fix.
        warnings.filterwarnings("ignore", "'myst_parser.sphinx_ext.myst_refs", module="myst_parser")
        status = build_main(args + (["-q"] if quiet else []))
    if status != 0:
        raise ValueError(f"the website did not build (Sphinx's messages are above); its sources are in {work / 'src'}")
    return outdir
