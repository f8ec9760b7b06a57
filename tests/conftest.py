"""Shared fixtures: the local MediaWiki farm and the private MariaDB server are plugins."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytest_plugins = ["tests.wikiharness", "tests.dbharness"]

ROOT = Path(__file__).resolve().parent.parent
OB_VENV = Path(os.environ.get("OB_VENV", ROOT / ".venv-ob"))


@pytest.fixture(scope="session")
def ob_python() -> Path:
    """The 1EdTech validator's own virtualenv (its pins clash with ours), set up if needed."""
    script = ROOT / "devtools" / "setup-ob-validator.sh"
    proc = subprocess.run(
        ["bash", str(script), str(OB_VENV)], capture_output=True, text=True, timeout=600
    )
    if proc.returncode != 0:
        pytest.fail(f"could not set up the validator venv:\n{proc.stdout}\n{proc.stderr}")
    return OB_VENV / "bin" / "python"
