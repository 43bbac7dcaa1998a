import pytest

from tests.i18n.catalogues import compile_catalogues


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues():
    """`make test` compiles the catalogues; a bare `pytest` run gets them compiled here."""
    compile_catalogues()
