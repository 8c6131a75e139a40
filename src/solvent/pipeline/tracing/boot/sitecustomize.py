"""Loaded at start-up by every Python process a traced stage starts (``repro`` puts this
folder first on ``PYTHONPATH``): records which files the process opens, and where from.

It must cost nearly nothing and never break the user's program: the hook returns at once for
events it does not watch, records each (kind, path) once, looks at the stack only on a first
sighting, and writes what it saw once, at exit, to ``$SOLVENT_TRACE_DIR/<pid>-<n>.jsonl``.

It must not change what the program imports either. The stage's shell saw ``PYTHONPATH`` with
this folder in it, so a command such as ``export PYTHONPATH=src:$PYTHONPATH`` made ``src:<this
folder>`` where it would have made ``src:`` (an empty entry: the current folder). So before
anything else, ``sys.path`` and ``os.environ`` are put back as the user's own ``PYTHONPATH``
(``$SOLVENT_TRACE_PYTHONPATH``) would have made them: this folder's entry is the user's value in
the string the shell built. The process's real environment keeps it, so Python programs this
one starts with the inherited environment are traced too. Then it hands over to the
``sitecustomize`` that was next on the path, if any.

Standard library only, and no import of ``solvent``: the stage may run another interpreter.
"""

from __future__ import annotations

import os
import sys
from typing import Any

_DIR = os.environ.get("SOLVENT_TRACE_DIR", "")
_HERE = os.path.dirname(os.path.abspath(__file__))
# (kind, path) -> (file, line) of its first sighting; dicts keep the order things were seen
_seen: dict[tuple[str, str], tuple[str | None, int | None]] = {}
_done: list[bool] = []
_eager: list[int] = []  # in a forked child: the fd each sighting is written to at once


def _library_prefixes() -> tuple[str, ...]:
    """Folders of the interpreter and installed packages: frames there are not the user's."""
    import site

    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, _HERE}
    try:
        found.update(site.getsitepackages())
        found.add(site.getusersitepackages())
    except Exception:
        pass
    cwd = os.getcwd()
    # A project inside one of them (a repo under /usr/src) must still count as the user's.
    keep = [p for p in found if p and not (cwd + os.sep).startswith(p.rstrip(os.sep) + os.sep)]
    return tuple(p.rstrip(os.sep) + os.sep for p in keep)


_LIBRARY = _library_prefixes()
_WATCHED = frozenset(("open", "os.rename", "urllib.Request", "socket.connect",
                      "socket.getaddrinfo"))  # fmt: skip
_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_LOCAL = ("localhost", "127.0.0.1", "::1", "0.0.0.0", "", None)


def _caller() -> tuple[str | None, int | None]:
    """The first frame outside the interpreter and packages: the user's script line."""
    frame: Any = sys._getframe(3)  # _caller, _note, _hook, then the opener
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_LIBRARY) and not name.startswith("<"):
            return name, frame.f_lineno
        frame = frame.f_back
    return None, None


def _note(kind: str, what: str) -> None:
    key = (kind, what)
    if key not in _seen and not _done:
        where = _seen[key] = _caller()
        if _eager:  # a forked child may leave through os._exit, skipping atexit
            os.write(_eager[0], _line(kind, what, where).encode())


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _WATCHED:
        return
    try:
        if event == "open":
            path, mode, flags = args
            if not isinstance(path, (str, bytes)):
                return  # an fd
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if sys._getframe(1).f_code.co_filename.startswith("<frozen"):
                return  # the import system reading code: implicit code deps cover it
            if not os.path.isabs(path):
                path = os.path.join(os.getcwd(), path)
            if mode is not None and ("w" in mode or "a" in mode or "x" in mode or "+" in mode):
                write = True
            else:
                write = isinstance(flags, int) and bool(flags & _WRITE)
            _note("w" if write else "r", path)
        elif event == "os.rename":
            dst = args[1]
            if isinstance(dst, (str, bytes)) and args[3] in (None, -1, -100):
                dst = os.fsdecode(dst)
                _note("w", dst if os.path.isabs(dst) else os.path.join(os.getcwd(), dst))
        elif event == "urllib.Request":
            _note("url", str(args[0]))
        elif event == "socket.connect":
            address = args[1]
            host = address[0] if isinstance(address, tuple) and address else None
            if host not in _LOCAL and not str(host).startswith("127."):
                _note("host", f"{host}:{address[1]}")
        elif event == "socket.getaddrinfo":
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode(errors="replace")
            if host not in _LOCAL and not str(host).startswith("127."):
                _note("host", str(host))
    except Exception:
        pass  # a trace is worth less than the user's program


def _line(kind: str, what: str, where: tuple[str | None, int | None]) -> str:
    import json

    return json.dumps({"kind": kind, "path": what, "file": where[0], "line": where[1]}) + "\n"


def _write() -> None:
    if _done or _eager or not _DIR:
        return
    _done.append(True)
    try:
        text = "".join(_line(kind, what, where) for (kind, what), where in _seen.items())
        name = os.path.join(_DIR, f"{os.getpid()}.jsonl")
        with open(name + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(name + ".tmp", name)
    except Exception:
        pass  # the trace folder is gone or full: the run goes on untraced


def _forked() -> None:
    """A child writes what it opens itself, as it goes; its parent reports the rest."""
    _seen.clear()
    try:
        _line("", "", (None, None))  # imports json now, not inside the hook
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        _eager.append(os.open(os.path.join(_DIR, f"{os.getpid()}.jsonl"), flags, 0o644))
    except Exception:
        _done.append(True)  # no trace folder: record nothing


def _install() -> None:
    if not _DIR:
        return
    import atexit

    atexit.register(_write)
    os.register_at_fork(after_in_child=_forked)
    sys.addaudithook(_hook)


ORIGINAL = "SOLVENT_TRACE_PYTHONPATH"  # "=" + the user's PYTHONPATH, or "unset"


def users_pythonpath(built: str, original: str | None, here: str = _HERE) -> str | None:
    """The ``PYTHONPATH`` the stage's commands would have built without Solvent: ``built``
    with each entry naming ``here`` replaced by what Solvent found (``original``, None when
    unset). Solvent gave ``here:original``, or ``here`` alone when original was empty, so the
    entry stands for nothing, or for an empty string. (A command that tests whether the
    variable is empty, as ``${PYTHONPATH:+...}`` does, is not undone: one empty entry more.)"""
    entries = built.split(os.pathsep)
    mine = [bool(e) and os.path.abspath(e) == here for e in entries]
    if not any(mine):
        return built
    if original:
        kept = [e for i, e in enumerate(entries) if not mine[i]]
    else:
        kept = ["" if mine[i] else e for i, e in enumerate(entries)]
    text = os.pathsep.join(kept)
    return None if not text and original is None else text


def _pythonpath_entries(value: str | None) -> list[str]:
    """``sys.path``'s first entries as site.py leaves them for ``PYTHONPATH=value``:
    absolute, without repeats."""
    found: list[str] = []
    for entry in value.split(os.pathsep) if value else ():
        path = os.path.abspath(entry)
        if os.path.normcase(path) not in map(os.path.normcase, found):
            found.append(path)
    return found


def _restore() -> None:
    """``sys.path`` and ``os.environ`` as the user's own ``PYTHONPATH`` would have made them."""
    marker = os.environ.get(ORIGINAL)
    built = os.environ.get("PYTHONPATH")
    if marker is None or built is None:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
        return
    wanted = users_pythonpath(built, marker[1:] if marker.startswith("=") else None)
    had = _pythonpath_entries(built)
    if [os.path.normcase(p) for p in sys.path[: len(had)]] == [os.path.normcase(p) for p in had]:
        rest = sys.path[len(had) :]
        path: list[str] = []
        seen: set[str] = set()
        for entry in [*_pythonpath_entries(wanted), *rest]:
            key = os.path.normcase(os.path.abspath(entry))
            if key not in seen:  # site.py keeps the first of two equal entries
                seen.add(key)
                path.append(entry)
        sys.path[:] = path
    else:  # an interpreter that builds its path otherwise: at least drop this folder
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    # Only the program's view: the process environment keeps the hook for its children.
    data: Any = getattr(os.environ, "_data", None)
    try:
        for name, value in (("PYTHONPATH", wanted), (ORIGINAL, None), ("SOLVENT_TRACE_DIR", None)):
            key = os.environ.encodekey(name)
            if value is None:
                data.pop(key, None)
            else:
                data[key] = os.environ.encodevalue(value)
    except Exception:
        if wanted is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = wanted


def _chain() -> None:
    """Import the ``sitecustomize`` this one hides, as site.py would have."""
    me = sys.modules.pop("sitecustomize", None)
    try:
        import sitecustomize  # type: ignore[import-not-found]  # noqa: F401  (the next one)
    except ImportError as e:
        if e.name != "sitecustomize":
            raise
        if me is not None:
            sys.modules["sitecustomize"] = me


if __name__ == "sitecustomize":  # not when a test loads it to call its functions
    _install()
    _restore()
    _chain()
