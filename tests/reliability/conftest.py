"""Fixtures of the reliability suite; they live in relhelp.py so that tests import helpers from a
module with a unique name (not from `conftest`)."""

from relhelp import full_index, tiny, tiny_copy  # noqa: F401  (pytest finds fixtures here)
