"""One settings chain: where the host, the key, the spec and the TLS and time limits come from.

Owns: the :class:`Settings` every entry point builds its client from (the CLI, the REPL,
``default_client()``, the cmlapi layer), the order in which they are looked up, and the
set of secrets that every message is redacted against. May import: errors, config.
Must not: touch the network.

The order, first found wins:

1. flags (``--host``, ``--token`` ...) or the arguments of ``default_client()``;
2. the environment: ``CML_HOST`` and ``CML_API_KEY`` (or the neutral ``CMLDYN_TOKEN``); inside a
   CML session ``CDSW_API_URL`` (its ``/api/v1`` suffix dropped) or ``CDSW_DOMAIN``, and
   ``CDSW_APIV2_KEY``; for HTTP basic, ``CMLDYN_USER`` and ``CMLDYN_PASSWORD``;
3. the profile (``--profile NAME``, ``CMLDYN_PROFILE``, else ``default``): ``host`` and one
   of ``key``, ``key_env`` (a variable to read) or ``key_command`` (a command that prints it),
   plus ``ca_cert``, ``insecure``, ``spec`` and ``timeout``; and, for an API whose spec declares
   several security schemes, a key per scheme in ``[profiles.NAME.schemes.SCHEME]`` (the same three
   ways) and ``user`` for HTTP basic.

A profile's key is only used for that profile's own host (or when the profile was named
explicitly): a host from the environment never receives another workspace's key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from .errors import ParamError, Secret, UsageError

__all__ = ["ENV_HOST", "ENV_KEY", "ENV_PASSWORD", "ENV_USER", "SESSION_ENV", "Settings", "normalize_host", "resolve",
           "session_environment"]

# Looked up in this order; the CDSW_* names are what a CML session sets.
ENV_HOST = ("CML_HOST", "CDSW_API_URL", "CDSW_DOMAIN")
ENV_KEY = ("CML_API_KEY", "CMLDYN_TOKEN", "CDSW_APIV2_KEY")
ENV_USER, ENV_PASSWORD = "CMLDYN_USER", "CMLDYN_PASSWORD"  # for an API whose spec declares HTTP basic
ENV_PROFILE = "CMLDYN_PROFILE"


#: What a CML session sets and cmlapi code reads (CDSW_PROJECT_ID aside): all of it points at one workspace.
SESSION_ENV = ("CML_HOST", "CML_API_KEY", "CDSW_API_URL", "CDSW_DOMAIN", "CDSW_APIV2_KEY")


def session_environment(host: str, key: str) -> dict[str, str]:
    """The variables a CML session gives a script, for ``host`` (an http(s) URL) and ``key``: what
    ``cmldyn run`` and the test fixtures hand the code they run, so ``cmlapi.default_client()`` needs no
    arguments. ``CDSW_DOMAIN`` is the host and port, without the scheme, as in a session."""
    host = host.rstrip("/")
    return {"CML_HOST": host, "CML_API_KEY": key, "CDSW_API_URL": host + "/api/v1",
            "CDSW_DOMAIN": urlsplit(host).netloc, "CDSW_APIV2_KEY": key}


def normalize_host(host: str) -> str:
    """``ml-x.cloudera.site`` -> ``https://ml-x.cloudera.site``; a trailing ``/api/v1`` or ``/api/v2`` is dropped.

    CML sessions expose ``CDSW_API_URL`` ending in ``/api/v1`` and users paste the
    v2 base; the spec's own paths already start with ``/api/v2``.

    Raises:
        ParamError: no host, or not an http(s) URL.
    """
    text = str(host).strip().rstrip("/")
    if not text:
        raise ParamError("no host given", hint="pass --host https://<workspace> or set CML_HOST")
    if "://" not in text:
        text = "https://" + text
    for suffix in ("/api/v1", "/api/v2"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ParamError(f"invalid host {host!r}; expected https://host[:port]")
    return text


@dataclass(frozen=True)
class Settings:
    """Everything a client is built from, resolved once. Change it with :func:`dataclasses.replace`.

    ``timeout`` is (connect, read) seconds or one number for both; None keeps the transport's
    default, as does ``deadline`` (seconds for a whole call, retries included). The key, the
    password and the schemes' keys may be given as text; they are held as :class:`Secret`.
    """

    host: str | None = None
    token: Secret | str | None = field(default=None, repr=False)
    user: str | None = None
    password: Secret | str | None = field(default=None, repr=False)
    #: A key of its own for a security scheme, by the scheme's name in the spec (a profile's ``[schemes.X]``).
    scheme_keys: Mapping[str, Secret | str] = field(default_factory=dict, repr=False)
    spec: str | None = None
    ca_cert: str | None = None
    proxy: str | None = None  # every request through this proxy (cmlapi's Configuration.proxy); else the environment's
    insecure: bool = False
    timeout: float | tuple[float, float] | None = None
    deadline: float | None = None
    retries: int = 3
    profile: str | None = None
    offline: bool = False
    refresh: bool = False
    debug: bool = False
    demo: bool = False
    strict: bool = False  # an answer that differs from the spec fails the call (exit 6)
    no_check: bool = False  # answers are not checked against the spec at all

    def __post_init__(self) -> None:
        object.__setattr__(self, "token", Secret.of(self.token))
        object.__setattr__(self, "password", Secret.of(self.password))
        keys = {name: Secret.of(key) for name, key in self.scheme_keys.items()}
        object.__setattr__(self, "scheme_keys", {name: key for name, key in keys.items() if key is not None})

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """Every credential these settings hold: what each message, log and file is redacted against."""
        return tuple(s for s in (self.token, self.password, *self.scheme_keys.values()) if isinstance(s, Secret) and s)

    @property
    def base_url(self) -> str:
        """The host as a URL (scheme defaulted to https, CML's ``/api/v1`` suffix dropped)."""
        return normalize_host(self.host or "")

    def timeouts(self, default: tuple[float, float]) -> tuple[float, float]:
        if self.timeout is None:
            return default
        if isinstance(self.timeout, tuple):
            return (float(self.timeout[0]), float(self.timeout[1]))
        return (float(self.timeout), float(self.timeout))

    def with_server(self, host: str, token: Secret | str | None) -> Settings:
        """The same settings pointed at another server (the built-in simulator of ``--demo``)."""
        return replace(self, host=host, token=token)


def _seconds(name: str, value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UsageError(f"--{name} takes seconds, got {value!r}") from None


def host_from_env(env: Mapping[str, str]) -> str | None:
    for name in ENV_HOST:
        value = env.get(name)
        if value:
            return "https://" + value if name == "CDSW_DOMAIN" else value
    return None


def key_from_env(env: Mapping[str, str]) -> str | None:
    return next((env[name] for name in ENV_KEY if env.get(name)), None)


def resolve(flags: Mapping[str, Any], env: Mapping[str, str], *, config_path: str | None = None,
            warnings: list[str] | None = None, creating: bool = False) -> Settings:
    """Resolve the chain: flags, then the environment, then the profile.

    Args:
        flags: option values given on the command line or to ``default_client()`` (None: not given);
            the keys are :class:`Settings` field names.
        env: the environment to read (``os.environ``; tests pass their own).
        config_path: the profiles file (default: the user's config directory).
        warnings: receives what the profile file's checks noticed (a key readable by others).
        creating: ``cmldyn configure`` is making the profile, so a missing one is no error.

    Raises:
        UsageError: a named profile that does not exist, or a time that is not a number.
        ConfigError: the profiles file is invalid (with file:line).
        CredentialError: a profile's ``key_command`` failed.
    """
    known = {k: v for k, v in flags.items() if k in Settings.__dataclass_fields__ and v is not None}
    for name in ("timeout", "deadline"):
        if name in known and not isinstance(known[name], tuple):
            known[name] = _seconds(name, known[name])
    settings = Settings(**known)
    host = settings.host or host_from_env(env)
    token = settings.token or key_from_env(env)
    wanted = settings.profile or env.get(ENV_PROFILE)
    if wanted or not (host and token):
        from .config import load_profiles

        profiles = load_profiles(config_path, warnings)
        name = wanted or "default"
        profile = profiles.get(name)
        if profile is None and wanted and not creating:
            names = ", ".join(sorted(profiles)) or "none yet; create one with 'cmldyn configure'"
            raise UsageError(f"no profile {name!r} (profiles: {names})")
        if profile is not None:
            same_host = not host or (profile.host is not None and _same_host(host, profile.host))
            if not token and (wanted or same_host):
                token = profile.resolve_key(env)
            if wanted or same_host:  # the same rule as the key: never to another host
                settings = replace(settings, scheme_keys={**profile.resolve_scheme_keys(env), **settings.scheme_keys})
            host = host or profile.host
            if not settings.user and not env.get(ENV_USER) and (wanted or same_host):
                settings = replace(settings, user=profile.user)
            settings = replace(
                settings, profile=name,
                ca_cert=settings.ca_cert or profile.ca_cert,
                spec=settings.spec or profile.spec,
                insecure=settings.insecure or profile.insecure,
                timeout=settings.timeout if settings.timeout is not None else profile.timeout,
            )
    user = settings.user or env.get(ENV_USER) or None
    password = settings.password or (env.get(ENV_PASSWORD) or None if user else None)
    return replace(settings, host=host, token=token, user=user, password=password)


def _same_host(one: str, other: str) -> bool:
    try:
        return normalize_host(one) == normalize_host(other)
    except ParamError:
        return False
