"""Private files: 0600 in 0700 directories, written atomically, links never followed.

Owns: every file cmldyn writes for itself (spec cache, profiles), the files it writes where the
user says (a saved script), and the checks made when reading one back (owner, group/other
bits). May import: errors. A write goes to a temporary file in the same directory and is
renamed over the old one (or linked to its name, where an existing file must not be replaced),
so an interrupted write leaves the previous file intact.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile

from .errors import StorageError

__all__ = ["private_dir", "read_capped", "read_private", "write_private", "write_user_file"]


def private_dir(path: str) -> str:
    """Create (or tighten) a 0700 directory that is not a symlink and is ours.

    Every directory it has to create on the way is made 0700 as well, whatever the umask
    (os.makedirs gives the parents the umask's mode, 0777 under umask 000).
    """
    path = os.path.abspath(path)
    missing: list[str] = []
    probe = path
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = os.path.dirname(probe)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue
        os.chmod(directory, 0o700)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise StorageError(f"{path} is not a plain directory (a symbolic link?); not using it")
    if info.st_uid != os.getuid():
        raise StorageError(f"{path} belongs to another user; not using it")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def write_private(path: str, data: bytes, *, replace_link: bool = False) -> None:
    """Atomically replace ``path`` with ``data``, mode 0600 (whatever the umask).

    A symbolic link at ``path`` is refused, or, with ``replace_link`` (a cache, whose files are ours to
    remake), replaced by the file itself: the rename replaces the link, never what it points to.
    """
    directory = private_dir(os.path.dirname(os.path.abspath(path)))
    if os.path.islink(path) and not replace_link:
        raise StorageError(f"{path} is a symbolic link; not writing through it")
    _write_and_place(path, data, directory, keep_existing=False)


def write_user_file(path: str, data: bytes, *, overwrite: bool = False) -> None:
    """Write a file the user named (a saved script): mode 0600, atomically, never through a symbolic
    link, in a directory left as it is. An existing file is replaced only with ``overwrite``.

    Raises:
        StorageError: the name is a symbolic link, or exists and ``overwrite`` is off.
        OSError: the directory is missing or not writable (``strerror`` says which).
        ValueError: the name holds a NUL character.
    """
    path = os.path.abspath(path)
    if os.path.islink(path):
        raise StorageError(f"{path} is a symbolic link; not writing through it or over it")
    if os.path.exists(path) and not overwrite:
        raise StorageError(f"{path} already exists")
    _write_and_place(path, data, os.path.dirname(path), keep_existing=not overwrite)


def _write_and_place(path: str, data: bytes, directory: str, *, keep_existing: bool) -> None:
    """Write ``data`` to a 0600 temporary file in ``directory``, then put it at ``path``: renamed over what is
    there (a rename replaces a name, never what a link points to), or, with ``keep_existing``, linked to the
    name, which fails when the name exists (a link included), so nothing is replaced. The temporary file
    never stays behind."""
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if not keep_existing:
            os.replace(temp, path)
            return
        try:
            os.link(temp, path)
        except FileExistsError:
            raise StorageError(f"{path} already exists") from None
        os.unlink(temp)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def read_capped(path: str, limit: int) -> bytes | None:
    """A file's bytes, or None when it holds more than ``limit`` (no more than ``limit + 1`` are read, so a
    huge file costs nothing). OSError as ``open`` raises it: the caller names the file in its own words."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def read_private(path: str) -> tuple[bytes, list[str]]:
    """Read a file of ours without following a link; return its bytes and any safety warnings.

    Raises:
        FileNotFoundError: no such file.
        StorageError: a link, or owned by another user.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise FileNotFoundError(path) from None
        if exc.errno == errno.ELOOP:
            raise StorageError(f"{path} is a symbolic link") from None
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid != os.getuid():
            raise StorageError(f"{path} belongs to another user; not using it")
        warnings = []
        if stat.S_IMODE(info.st_mode) & 0o077:
            warnings.append(f"{path} is readable or writable by others; fix with: chmod 600 {path}")
        return handle.read(), warnings
