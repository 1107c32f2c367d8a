"""Sphinx configuration of the course website. Build it with `make site` (autograd_labs.website stages the pages)."""
project = "Autograd labs"
author = "the autograd-labs authors"
copyright = "the autograd-labs authors"
language = "en"

extensions = ["myst_nb", "autograd_labs.website.sphinx_ext"]
root_doc = "index"
exclude_patterns = ["downloads/**"]  # the notebooks as students download them, not pages

# The lessons are committed with their outputs and the labs are student versions: nothing runs at build time.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath"]
# Math becomes MathML at build time (autograd_labs.website.sphinx_ext): no MathJax from a CDN.
html_math_renderer = "mathml"
# A progress bar's widget state needs ipywidgets' scripts from a CDN: show its text output instead.
nb_ipywidgets_js = {}
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]

html_theme = "furo"  # installed from PyPI with its assets: the pages load nothing from elsewhere
html_title = "Autograd labs"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_js_files = ["course.js"]  # keyboard access to blocks that scroll sideways
html_favicon = "_static/favicon.svg"  # else the browser asks for /favicon.ico, which a static host lacks
html_copy_source = False
html_show_sourcelink = False
