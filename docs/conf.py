"""Sphinx configuration of the skdistill documentation (``make docs``)."""

import os

import skdistill

project = "skdistill"
copyright = "skdistill developers"
version = release = skdistill.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]
default_role = "literal"

autosummary_generate = True
numpydoc_show_class_members = False
# Every parameter documented, nothing documented that does not exist, no
# public object without a docstring (examples are checked by tests/test_docs.py).
numpydoc_validation_checks = {"PR01", "PR02", "GL08"}

# No network at build time: links to other projects' docs stay plain text.
intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Every example runs, the quick start included, so none can rot.
    "filename_pattern": r"/(plot_|quickstart)",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "reference_url": {"skdistill": None},
}
os.environ.setdefault("MPLBACKEND", "Agg")

html_theme = "pydata_sphinx_theme"
html_title = f"skdistill {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = []
