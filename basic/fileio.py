"""Atomic writes, in one place: a file (``atomic_write``) or a whole folder (``replace_folder``).

Nothing is ever half-written: a file goes through a temporary sibling and one rename; a folder is filled as
a temporary sibling, then swapped into place (one atomic exchange on Linux, renames elsewhere).
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, write, binary: bool = False) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written file.

    ``write`` receives the open file (text mode with newline="" unless ``binary``). The parent folder is
    created; the file gets mode 0644 (mkstemp would leave 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"newline": ""})) as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def replace_folder(folder: str | os.PathLike, write, own=None) -> Path:
    """Write a whole folder atomically: ``write(tmp)`` fills a temporary sibling, which then takes
    ``folder``'s place (one atomic exchange where the OS offers it). Entries of an existing folder that
    are not in ``own`` (the names the writer owns; None: every name) are moved into the new one; the old
    owned entries are deleted. A read-only folder (or parent) is refused before anything is written."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder} exists and is not a folder")
    for where in (folder, folder.parent):
        # honour read-only marks even where permissions do not bind (root): the golden cases are read-only
        if where.exists() and not where.stat().st_mode & 0o222:
            raise PermissionError(f"{where} is read-only (mode {oct(where.stat().st_mode & 0o777)}): nothing was "
                                  "written; write the features elsewhere (convert: --out NEW_FOLDER)")
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        write(tmp)
        os.chmod(tmp, 0o755)                  # mkdtemp's 0700 would hide the folder from other users
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not folder.exists():
        os.rename(tmp, folder)
        return folder
    if not _exchange(tmp, folder):
        _swap_by_renames(tmp, folder)
    # tmp now holds the previous folder: keep what is not ours, drop the rest
    for entry in tmp.iterdir():
        if (own is not None and entry.name not in own) and not (folder / entry.name).exists():
            os.replace(entry, folder / entry.name)
    shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _swap_by_renames(tmp: Path, folder: Path) -> None:
    """Where no atomic exchange exists: move the old folder aside, the new one in, the old one to tmp."""
    aside = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".old"))
    old = aside / folder.name
    os.rename(folder, old)
    try:
        os.rename(tmp, folder)
    except BaseException:
        os.rename(old, folder)
        raise
    os.rename(old, tmp)
    aside.rmdir()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
