"""The website's Sphinx extension: figures carry their description as alt text, and math is MathML.

- Every lesson figure is followed by a paragraph "*Figure description:* ...". `FigureAltText` copies that text
  into the `alt` of the figure's images, so a screen reader reads it on the image itself; a figure without its
  description is a warning (an error in `make site`).
- Math is rendered when the site is built, as MathML (latex2mathml), which browsers display and screen readers
  read; there is no MathJax, so no script is fetched from a CDN.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)
DESCRIPTION = "Figure description:"
# LaTeX commands of the descriptions' math, as a screen reader should read them in alt text. A prefix binds to what
# follows (∂S); any other command not listed is a named function and stays a word (log x).
PREFIXES = {"partial": "∂", "nabla": "∇"}
SYMBOLS = {"approx": "≈", "cdot": "·", "times": "×", "le": "≤", "ge": "≥", "leftarrow": "←", "to": "→",
           "sigma": "σ", "theta": "θ", "pi": "π", "varepsilon": "ε", "infty": "∞", "sum": "Σ"}


def math_as_text(latex: str) -> str:
    """Return LaTeX as plain text for an alt attribute: `\\partial S / \\partial a` becomes `∂S / ∂a`."""
    text = re.sub(r"\\(?:text|mathrm|operatorname)\{([^{}]*)\}", r"\1", latex)
    text = re.sub(r"\\(?:left|right|big|Big|,|;|!)", " ", text)
    text = re.sub(r"\\t?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", text)
    text = re.sub(r"\\sqrt\{([^{}]*)\}", r"√(\1)", text)
    text = re.sub(r"\\(partial|nabla)\s*", lambda m: PREFIXES[m[1]], text)
    text = re.sub(r"\\([A-Za-z]+)(?=([A-Za-z0-9]?))", lambda m: SYMBOLS.get(m[1], m[1] + (" " if m[2] else "")), text)
    return " ".join(text.replace("{", "").replace("}", "").replace("\\", "").split())


def plain_text(node: nodes.Node) -> str:
    """Return a paragraph's text with its math read as text."""
    if isinstance(node, nodes.math):
        return math_as_text(node.astext())
    if isinstance(node, nodes.Text):
        return node.astext()
    return "".join(plain_text(child) for child in node.children)


def description_after(cell: nodes.Element) -> str | None:
    """Return the text of the "Figure description:" paragraph right after a cell, or None."""
    following = cell.next_node(descend=False, siblings=True, ascend=False)
    while isinstance(following, nodes.Invisible | nodes.target | nodes.comment):
        following = following.next_node(descend=False, siblings=True, ascend=False)
    if not isinstance(following, nodes.paragraph):
        return None
    text = " ".join(plain_text(following).split())
    return text[len(DESCRIPTION):].strip() if text.startswith(DESCRIPTION) else None


class FigureAltText(SphinxTransform):
    """Set each output image's `alt` to the description that follows its cell."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        cells = [node for node in self.document.findall(nodes.container) if node.get("nb_element") == "cell_code"]
        for cell in cells:
            images = list(cell.findall(nodes.image))
            if not images:
                continue
            description = description_after(cell)
            if not description:
                logger.warning(f"a figure is not followed by a paragraph starting '*{DESCRIPTION}*'; "
                               "its image would have no alt text", location=cell)
                continue
            for image in images:
                image["alt"] = description


def to_mathml(latex: str, display: str, node: nodes.Node) -> str:
    """Return `latex` as MathML; warn (an error in `make site`) when it cannot be converted."""
    try:
        mathml = convert(latex, display=display)
    except Exception as error:  # noqa: BLE001 - latex2mathml raises many kinds for LaTeX it does not know
        logger.warning(f"cannot render the math {latex!r} as MathML: {error}", location=node)
        return f"<code>{html.escape(latex)}</code>"
    return mathml.replace("\\_", "_")  # latex2mathml keeps the escape of an underscore inside \text{}


def visit_math(translator, node: nodes.math) -> None:
    translator.body.append(to_mathml(node.astext(), "inline", node))
    raise nodes.SkipNode


def visit_math_block(translator, node: nodes.math_block) -> None:
    translator.body.append(translator.starttag(node, "div", CLASS="math"))
    translator.body.append(to_mathml(node.astext(), "block", node))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def outputs_beside_doctrees(app) -> None:
    """Make myst-nb write the outputs' images beside the doctrees, not into a folder beside the site."""
    if hasattr(app.env, "mystnb_config"):
        folder = Path(app.doctreedir).parent / "outputs"
        app.env.mystnb_config = app.env.mystnb_config.copy(output_folder=str(folder.resolve()))


def setup(app):
    app.add_transform(FigureAltText)
    app.connect("builder-inited", outputs_beside_doctrees, priority=600)  # after myst-nb's own (500)
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
