"""Verbs over several calls, the ones CML users write by hand: a project's environment changed safely
(environment.py), an application's runtime upgraded (runtime.py), and what they share (common.py).

Each takes a client and never builds one; each works out what it will do before it does it.
May import: errors, jsonvalue (and, for types, nothing of the client: it offers these verbs).
"""

from .environment import EnvChange, ProjectEnvironment, parse_dotenv
from .runtime import UpgradePlan, upgrade, upgrade_plan

__all__ = ["EnvChange", "ProjectEnvironment", "UpgradePlan", "parse_dotenv", "upgrade", "upgrade_plan"]
