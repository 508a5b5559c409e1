"""``cmldyn [--profile NAME] configure [--host URL] [--key-env VAR | --key-command CMD]``: write a profile.

The key is asked for without echo (or read from a pipe) and never shown; with ``--key-env``
or ``--key-command`` no key is stored at all. The file is 0600, written atomically.
May import: config, errors, output, transport (the key's character check).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import CredentialError, Secret, UsageError
from .context import Context
from .exits import Exit

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["check_key", "run", "verify_key"]


def run(ctx: Context, args: argparse.Namespace) -> int:
    from ..config import Profile, default_config_path, save_profile
    from ..credentials import clean_token

    name = ctx.settings.profile or "default"
    host = ctx.settings.host or _ask(ctx, "Workspace URL (https://ml-xxxx.cloudera.site): ", secret=False)
    if not host:
        raise UsageError("a profile needs a host")
    profile = Profile(name=name, host=host, key_env=args.key_env, key_command=args.key_command,
                      ca_cert=ctx.settings.ca_cert, insecure=ctx.settings.insecure)
    if not args.key_env and not args.key_command:
        profile.key = clean_token(_ask(ctx, f"API key for {host} (not shown): ", secret=True))
        if not profile.key:
            raise CredentialError("no API key given; use --key-env NAME or --key-command CMD to avoid storing one")
    path = save_profile(profile, args.config or default_config_path())
    ctx.stdout.write(f"profile {name!r} saved in {path} (0600)\n")
    if profile.key:
        ctx.stdout.write(check_key(ctx, host, profile.key) + "\n")
    return Exit.OK


def check_key(ctx: Context, host: str, key: Secret | str) -> str:
    """One line on whether the server takes the key (see :func:`verify_key`). Never fails the command."""
    from dataclasses import replace

    from ..errors import CmldynError
    from ..output import error_lines

    settings = replace(ctx.settings, host=host, token=key, profile=None, retries=1)
    checker = Context(settings, ctx.stdout, ctx.stderr, ctx.stdin, ctx.cache_dir)
    try:
        accepted, line = verify_key(checker.client(), host)
    except CmldynError as error:
        return f"key not checked: {error_lines(error, (key,))[0]}"
    finally:
        checker.close()
    return line + ("; the profile is saved, run configure again to fix it" if accepted is False else "")


def verify_key(api: Client, host: str) -> tuple[bool | None, str]:
    """Whether the server takes the client's key, asked once (one attempt, 10 s at most) with the spec's own
    key check where it has one (CML: validate_api_key with the API audience): (True, "key checked: …"),
    (False, "warning: … did not accept the key …") or (None, "key not checked: …")."""
    from ..errors import ApiError, CmldynError
    from ..output import error_lines

    if api.model.find("validate_api_key") is None:
        return None, "key not checked: the spec has no operation to check a key with"
    from dataclasses import replace

    secrets = api.transport.secrets
    op = api.model.get("validate_api_key")
    try:
        # Asked once, quietly (no retries, no "retrying" line), within 10 s: a start must not hang on it.
        request = replace(api.prepare(op.name, body={"audience": "API"}), timeout=(5.0, 10.0), background=True)
        answer = api.send(request, op)
    except ApiError as error:
        return False, f"warning: {host} did not accept the key ({error_lines(error, secrets)[0]})"
    except CmldynError as error:
        return None, f"key not checked: {error_lines(error, secrets)[0]}"
    user = getattr(answer, "username", None)
    if getattr(answer, "valid", True) is False:
        return False, f"warning: {host} says the key is not valid"
    return True, f"key checked: valid{f' for {user}' if user else ''} on {host}"


def _ask(ctx: Context, prompt: str, *, secret: bool) -> str:
    from ..output import is_terminal

    if is_terminal(ctx.stdin):
        if secret:
            import getpass

            return getpass.getpass(prompt, stream=ctx.stderr).strip()
        ctx.stderr.write(prompt)
        ctx.stderr.flush()
    return ctx.stdin.readline().strip()
