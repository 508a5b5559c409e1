"""``cmldyn [--profile NAME] configure [--host URL] [--key-env VAR | --key-command CMD]``: write a profile.

The key is asked for without echo (or read from a pipe) and never shown; with ``--key-env``
or ``--key-command`` no key is stored at all. The file is 0600, written atomically.
May import: config, errors, output, transport (the key's character check).
"""

from __future__ import annotations

import argparse

from ..errors import CredentialError, UsageError
from .context import Context
from .exits import Exit

__all__ = ["run"]


def run(ctx: Context, args: argparse.Namespace) -> int:
    from ..config import Profile, default_config_path, save_profile
    from ..transport import clean_token

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
    return Exit.OK


def _ask(ctx: Context, prompt: str, *, secret: bool) -> str:
    from ..output import is_terminal

    if is_terminal(ctx.stdin):
        if secret:
            import getpass

            return getpass.getpass(prompt, stream=ctx.stderr).strip()
        ctx.stderr.write(prompt)
        ctx.stderr.flush()
    return ctx.stdin.readline().strip()
