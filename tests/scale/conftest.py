from tests.hardening.conftest import home  # noqa: F401 - the homeowner with one device of each kind
