"""Where the dbt project is, and the dbt vars that Python code must agree with."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

# dbt vars that map other spellings onto canonical values. The loader's quarantine
# and the GX checks read them so they accept exactly what staging will accept.
ALIAS_VARS = ("stage_aliases",)


def dbt_vars(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Any]:
    """The `vars:` of dbt_project.yml (the defaults every run uses)."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
    return dict(config.get("vars") or {})


@functools.cache
def configured_aliases(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, dict[str, str]]:
    """Each alias var of dbt_project.yml (e.g. `stage_aliases`) as {other spelling: canonical}.

    Read once per process, like the dbt manifest the definitions are built from
    (callers must not change the result).
    """
    values = dbt_vars(project_dir)
    return {
        name: {str(k): str(v) for k, v in (values.get(name) or {}).items()} for name in ALIAS_VARS
    }
