"""Loaded by pytest before Django starts (``-p rapport.core.pytest_env``).

Tests run against the development flavour of the settings (plain cookies, no HTTPS
redirect) because the test servers speak plain HTTP; the production flavour is
checked separately by running ``check --deploy`` in a subprocess.
"""

import os
import tempfile

os.environ.setdefault("RAPPORT_DEBUG", "1")
os.environ.setdefault("RAPPORT_DATA_DIR", tempfile.mkdtemp(prefix="rapport-test-"))
os.environ.setdefault("RAPPORT_TASKS_IMMEDIATE", "1")
