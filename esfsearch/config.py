"""Where the user's own esfsearch files live (saved searches, synonyms)."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_ENV = "ESFSEARCH_CONFIG_DIR"


def config_dir() -> Path:
    """$ESFSEARCH_CONFIG_DIR, else the platform's user config dir for esfsearch."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("esfsearch"))
