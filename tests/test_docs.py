"""The documentation runs as written: pages and public docstrings."""

import doctest
import importlib
import inspect
from pathlib import Path

import pytest

import skdistill

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(DOCS.glob("*.rst"))
# Pages that teach by example; each must hold at least one.
WITH_EXAMPLES = {
    "getting_started.rst",
    "user_guide.rst",
    "teachers.rst",
    "exporting.rst",
}
PUBLIC_MODULES = [
    "skdistill",
    "skdistill.augment",
    "skdistill.metrics",
    "skdistill.targets",
    "skdistill.teachers",
]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_page_examples_run(page):
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.failed == 0
    if page.name in WITH_EXAMPLES:
        assert result.attempted > 0


def _public_objects():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                yield pytest.param(obj, id=f"{module_name}.{name}")


@pytest.mark.parametrize("obj", list(_public_objects()))
def test_public_names_have_numpydoc_docstrings_with_examples(obj):
    # Sphinx checks the sections (numpydoc validation); this checks that the
    # example exists, so that --doctest-modules runs it.
    doc = inspect.getdoc(obj) or ""
    sections = "Parameters\n----------" if inspect.isclass(obj) else "Returns\n-------"
    assert sections in doc
    assert "Examples\n--------\n>>>" in doc


def test_api_reference_lists_every_public_name():
    api = (DOCS / "api.rst").read_text()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if (
                name == "__version__"
                or module_name != "skdistill"
                and name in dir(skdistill)
            ):
                continue
            listed = f"   {name}\n" in api or f".. autodata:: {name}\n" in api
            assert listed, f"{module_name}.{name}"
