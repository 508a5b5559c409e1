"""Profiles: named connection settings in the user's config directory (a TOML file, 0600).

    [profiles.prod]
    host = "https://ml-xxxx.cloudera.site"
    key_env = "PROD_CML_KEY"          # or key_command = "pass show cml/prod", or key = "..."
    ca_cert = "/etc/ssl/corp-ca.pem"

    [profiles.pets]                   # an API whose spec declares several security schemes
    host = "https://pets.example.com"
    user = "alice"                    # for HTTP basic (the password: CMLDYN_PASSWORD, or asked)
    [profiles.pets.schemes.headerKey] # a key of its own for the scheme named headerKey
    key_env = "PETS_HEADER_KEY"

Owns: reading the file (a bad file is an error naming file:line), finding a profile,
getting its key (from the file, an environment variable, or a command), and
writing a profile back atomically. May import: errors, storage.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigError, CredentialError, Secret, StorageError, reveal
from .storage import read_private, write_private

__all__ = ["FIELDS", "KEY_FIELDS", "Profile", "default_config_path", "load_profiles", "save_profile"]

FIELDS = ("host", "key", "key_env", "key_command", "user", "ca_cert", "insecure", "spec", "timeout")
KEY_FIELDS = ("key", "key_env", "key_command")  # the ways a key is given, for the profile and for each scheme


def default_config_path() -> str:
    from platformdirs import user_config_dir

    return os.path.join(user_config_dir("cmldyn", appauthor=False), "config.toml")


@dataclass
class Profile:
    """One ``[profiles.NAME]`` table; a key written in it is held as a :class:`Secret`."""

    name: str
    host: str | None = None
    key: Secret | str | None = None
    key_env: str | None = None
    key_command: str | None = None
    user: str | None = None
    ca_cert: str | None = None
    insecure: bool = False
    spec: str | None = None
    timeout: float | None = None
    #: scheme name -> its own key fields (``key``, ``key_env`` or ``key_command``)
    schemes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.key = Secret.of(self.key)
        self.schemes = {name: {k: (Secret.of(v) or "") if k == "key" else v for k, v in fields.items()}
                        for name, fields in self.schemes.items()}

    def resolve_scheme_keys(self, env: Mapping[str, str]) -> dict[str, Secret]:
        """Each scheme's own key, got the same ways as the profile's key (schemes with none left out)."""
        found: dict[str, Secret] = {}
        for name, fields in self.schemes.items():
            key = Profile(f"{self.name}.schemes.{name}", key=fields.get("key"), key_env=reveal(fields.get("key_env")),
                          key_command=reveal(fields.get("key_command"))).resolve_key(env)
            if key:
                found[name] = key
        return found

    def resolve_key(self, env: Mapping[str, str]) -> Secret | None:
        """The key: written in the profile, named by an environment variable, or printed by a command."""
        if self.key:
            return Secret.of(self.key)
        if self.key_env:
            return Secret.of(env.get(self.key_env))
        if self.key_command:
            try:
                done = subprocess.run(shlex.split(self.key_command), capture_output=True, text=True, timeout=15, check=False)
            except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
                raise CredentialError(f"key_command of profile {self.name!r} failed to run: {type(exc).__name__}") from None
            if done.returncode != 0:
                raise CredentialError(f"key_command of profile {self.name!r} exited with {done.returncode}")
            return Secret.of(done.stdout.strip())
        return None


def load_profiles(path: str | None = None, warnings: list[str] | None = None) -> dict[str, Profile]:
    """All profiles of the file; a missing file is no profiles.

    Raises:
        ConfigError: invalid TOML (with file:line) or a field of the wrong type.
    """
    path = path or default_config_path()
    try:
        data, notes = read_private(path)
    except FileNotFoundError:
        return {}
    except StorageError as exc:
        raise ConfigError(str(exc)) from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"{path}:{line.group(1)}" if line else path
        raise ConfigError(f"{where}: invalid TOML ({str(exc).split(' (at')[0]})") from None
    profiles: dict[str, Profile] = {}
    for name, values in (parsed.get("profiles") or {}).items():
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [profiles.{name}] is not a table")
        values = dict(values)
        schemes = _schemes(path, name, values.pop("schemes", {}))
        unknown = set(values) - set(FIELDS)
        if unknown:
            raise ConfigError(f"{path}: [profiles.{name}] has unknown field {sorted(unknown)[0]!r}; known: "
                              f"{', '.join(FIELDS)}, schemes")
        for key, value in values.items():
            expected = bool if key == "insecure" else ((int, float) if key == "timeout" else str)
            if not isinstance(value, expected):
                raise ConfigError(f"{path}: [profiles.{name}] {key} has the wrong type")
        profiles[name] = Profile(name=name, schemes=schemes, **values)
        if (values.get("key") or any("key" in f for f in schemes.values())) and notes and warnings is not None:
            warnings.append(f"{path} holds an API key and {notes[0].split(' is ', 1)[1]}")
    return profiles


def save_profile(profile: Profile, path: str | None = None) -> str:
    """Add or replace one profile, keeping the others; written 0600, atomically."""
    path = path or default_config_path()
    profiles = load_profiles(path)
    profiles[profile.name] = profile
    lines = ["# cmldyn profiles (cmldyn configure). Keep this file private: chmod 600.", ""]
    for name, item in profiles.items():
        lines.append(f"[profiles.{_key(name)}]")
        for field_name in FIELDS:
            value: Any = getattr(item, field_name)
            if value in (None, False, ""):
                continue
            lines.append(f"{field_name} = {_toml_value(value)}")
        lines.append("")
        for scheme, fields in item.schemes.items():
            lines.append(f"[profiles.{_key(name)}.schemes.{_key(scheme)}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in fields.items())
            lines.append("")
    write_private(path, "\n".join(lines).encode("utf-8"))
    return path


def _schemes(path: str, profile: str, table: Any) -> dict[str, dict[str, str]]:
    """``[profiles.NAME.schemes.SCHEME]`` tables, each holding one of key, key_env, key_command."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [profiles.{profile}] schemes is not a table")
    schemes: dict[str, dict[str, str]] = {}
    for scheme, fields in table.items():
        where = f"{path}: [profiles.{profile}.schemes.{scheme}]"
        if not isinstance(fields, dict):
            raise ConfigError(f"{where} is not a table")
        unknown = set(fields) - set(KEY_FIELDS)
        if unknown:
            raise ConfigError(f"{where} has unknown field {sorted(unknown)[0]!r}; known: {', '.join(KEY_FIELDS)}")
        if not all(isinstance(v, str) for v in fields.values()):
            raise ConfigError(f"{where}: every field is a string")
        schemes[str(scheme)] = dict(fields)
    return schemes


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_value(name)


def _toml_value(value: Any) -> str:
    value = reveal(value)  # a key held as a Secret is written as itself: this file is where it is kept
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch >= " " else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'
