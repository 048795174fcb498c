"""What the tests share besides fixtures (those live in tests/conftest.py): the test
environment, the in-process and multi-process service, and per-area constants and helpers.
Test modules import from here, never from each other or from conftest."""
