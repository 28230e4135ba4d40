from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _imports_in_tmp(settings: Any, tmp_path: Path) -> None:
    """The demo's dry-run import keeps its upload and report in a folder of the test's own."""
    settings.RAPPORT_IMPORT_DIR = tmp_path / "imports"
