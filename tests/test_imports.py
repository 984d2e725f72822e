"""Each module of logrca imports on its own, first: no import cycle hides behind a lucky import order."""

import importlib
import pkgutil
import sys

import pytest

PACKAGES = ("parsers", "analyzer", "reports")


def _modules():
    for package in PACKAGES:
        module = importlib.import_module(package)
        yield package
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not info.name.endswith("__main__"):
                yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_imports_first(name):
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] in PACKAGES}
    for key in saved:
        del sys.modules[key]
    try:
        importlib.import_module(name)
    finally:
        for key in [k for k in sys.modules if k.split(".")[0] in PACKAGES]:
            del sys.modules[key]
        sys.modules.update(saved)
