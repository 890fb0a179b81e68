"""Modules: the `Module` object, loading module files, and resolving `imports`.

A module file is ordinary Python with up to four conventional names: `imports`, `options`,
`config` and `disabled_modules` (or one `module = Module(...)`). Imports are relative
paths, importable module names (shared libraries installed with pip, or names registered
in the `pydeclos.modules` entry-point group) and `Module` objects. The module order is a
depth-first walk in which a module's imports come before it; a module reached twice (same
key: its resolved file, or its `key=`) counts once.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import inspect
import marshal
import os
import sys
import traceback
import types as python_types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from pydeclos.modsys.errors import (
    DisabledModulesError,
    ModuleImportError,
    ModuleLoadError,
)
from pydeclos.modsys.locations import Site, SourceCache, caller_site, display_path
from pydeclos.modsys.properties import Property
from pydeclos.modsys.siblings import SiblingImports, shadowed
from pydeclos.modsys.suggest import did_you_mean

ENTRY_POINT_GROUP = "pydeclos.modules"


class Module:
    """The object form of a module file: `Module(imports=[...], options={...}, config=...)`.

    Two distinct Module objects are two modules unless they share a `key`.
    """

    def __init__(
        self,
        imports: Sequence[Any] = (),
        options: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | Callable[..., Any] | None = None,
        key: str | None = None,
        disabled_modules: Sequence[Any] = (),
        *,
        name: str | None = None,
    ) -> None:
        self.imports = list(imports)
        self.options = options if options is not None else {}
        self.config = config
        self.key = key
        self.disabled_modules = list(disabled_modules)
        file, line = caller_site()
        self.site = Site(file, line)
        self.name = name
        self.builtin_hook: Callable[..., Any] | None = None  # rename helpers define directly

    def __repr__(self) -> str:
        return f"Module({self.name or self.key or ''} at {self.site})"


class Label:
    """How messages name a module, computed only when a message needs it."""

    __slots__ = ("prefix", "file")

    def __init__(self, prefix: str, file: str | Site) -> None:
        self.prefix = prefix
        self.file = file

    def __str__(self) -> str:
        where = str(self.file) if isinstance(self.file, Site) else display_path(self.file)
        return f"{self.prefix}{where}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(eq=False)
class LoadedModule:
    """A module ready for evaluation, whatever form it was written in."""

    key: Any
    label: str | Label  # how messages name it
    site: Site  # where it was written (file:1 for files)
    base_dir: str  # relative imports start here
    imports: list[Any] = field(default_factory=list)
    options: Mapping[str, Any] = field(default_factory=dict)
    config: Any = None
    disabled: list[Any] = field(default_factory=list)
    hook: Callable[..., Any] | None = None
    assigned: str | None = None  # a file's top-level name that holds `config`
    _params: tuple[bool, bool] | None = None

    @property
    def config_site(self) -> Site:
        if callable(self.config) and hasattr(self.config, "__code__"):
            code = self.config.__code__
            return Site(code.co_filename, code.co_firstlineno)
        return self.site

    def call_config(self, cfg: Any, name: str | None) -> Any:
        """Call a config function with the arguments it asks for (`cfg`, `name`)."""
        if self._params is None:
            self._params = _wanted_arguments(self.config)
        wants_cfg, wants_name = self._params
        kwargs = {"name": name} if wants_name else {}
        return self.config(cfg, **kwargs) if wants_cfg else self.config(**kwargs)


def _wanted_arguments(function: Any) -> tuple[bool, bool]:
    """Whether a config function takes `cfg` (its first positional) and `name`."""
    code = getattr(function, "__code__", None)
    if code is not None and not hasattr(function, "__wrapped__") and \
            type(function).__name__ == "function":
        names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        positional = [n for n in code.co_varnames[:code.co_argcount] if n != "name"]
        return bool(positional) or bool(code.co_flags & inspect.CO_VARARGS), "name" in names
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True, False
    positional = [
        p for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "name"
    ]
    return (bool(positional) or any(p.kind is p.VAR_POSITIONAL for p in parameters.values()),
            "name" in parameters)


def module_from_object(module: Module, parent_dir: str | None = None) -> LoadedModule:
    base = os.path.dirname(os.path.abspath(module.site.file)) \
        if not module.site.file.startswith("<") else (parent_dir or os.getcwd())
    label = module.name or (f"{module.key}" if module.key else Label("Module at ", module.site))
    return LoadedModule(
        key=module.key if module.key is not None else ("object", id(module), module),
        label=label, site=module.site, base_dir=base, imports=list(module.imports),
        options=module.options, config=module.config, disabled=list(module.disabled_modules),
        hook=module.builtin_hook,
    )


def module_from_namespace(
    namespace: Mapping[str, Any], file: str, key: Any, label: Any
) -> LoadedModule:
    """A module file (or importable Python module) by its conventional names."""
    site = Site(file, 1)
    found = namespace.get("module")
    if isinstance(found, Module):
        loaded = module_from_object(found)
        loaded.key, loaded.label = key, label
        return loaded
    imports = namespace.get("imports", [])
    options = namespace.get("options", {})
    config = namespace.get("config")
    disabled = namespace.get("disabled_modules", [])
    if not isinstance(imports, list | tuple):
        raise ModuleLoadError(f"`imports` in `{site}` must be a list, not {type(imports).__name__}")
    if not isinstance(disabled, list | tuple):
        raise ModuleLoadError(
            f"`disabled_modules` in `{site}` must be a list, not {type(disabled).__name__}")
    if not isinstance(options, Mapping):
        raise ModuleLoadError(
            f"`options` in `{site}` must be a dict of option(...) declarations, not "
            f"{type(options).__name__}")
    if config is not None and not (isinstance(config, Mapping | Property) or callable(config)):
        raise ModuleLoadError(
            f"`config` in `{site}` must be a dict or a function of cfg, not "
            f"{type(config).__name__}")
    return LoadedModule(
        key=key, label=label, site=site, base_dir=os.path.dirname(file), imports=list(imports),
        options=options, config=config, disabled=list(disabled), assigned="config",
    )


def user_frame_site(error: BaseException, files: set[str] | None = None) -> Site | None:
    """The innermost traceback frame outside pydeclos (or inside one of `files`)."""
    package_dir = str(Path(__file__).resolve().parent.parent)
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        name = frame.f_code.co_filename
        if files is not None:
            if name in files:
                found = Site(name, line)
        elif not name.startswith(package_dir) and "importlib" not in name:
            found = Site(name, line)
    if found is None and isinstance(error, SyntaxError) and error.filename:
        found = Site(error.filename, error.lineno or 1)
    return found


class Loader:
    """Loads module files and resolves import entries, each file at most once."""

    def __init__(self, sources: SourceCache, modules_path: Path | None = None) -> None:
        self.sources = sources
        self.modules_path = modules_path
        self._by_key: dict[Any, LoadedModule] = {}
        self.import_edges: dict[tuple[Any, Any], None] = {}  # (importer key, imported key)
        self._entry_points: dict[str, Any] | None = None
        self._stats: dict[str, os.stat_result] = {}  # found by resolve_path, for load_file
        self.siblings = SiblingImports()

    def load_file(self, path: str, importer: LoadedModule | None = None) -> LoadedModule:
        """Execute a module file (Python's bytecode cache applies) and read its names; it
        may import the Python files in its folder and its importers' (siblings.py)."""
        found = self._by_key.get(path)
        if found is not None:
            return found
        importer_file = importer.key if importer and isinstance(importer.key, str) else None
        folders = self.siblings.folders(path, importer_file)
        name = f"pydeclos_module_{id(self):x}_{len(self._by_key)}"  # unique in sys.modules
        loader = importlib.machinery.SourceFileLoader(name, path)
        python_module = python_types.ModuleType(name)
        python_module.__file__ = path
        python_module.__loader__ = loader
        sys.modules[name] = python_module
        try:
            code = cached_code(path, self._stats.pop(path, None)) or loader.get_code(name)
            if code is None:
                raise ImportError(f"no Python code in {path}")
            with self.siblings.importable(folders):
                exec(code, vars(python_module))
        except Exception as error:
            sys.modules.pop(name, None)
            site = user_frame_site(error, {path}) or Site(path, 1)
            hint = shadowed(error, folders) or "Fix the Python error in that module file."
            raise ModuleLoadError(
                f"Loading the module `{display_path(path)}` failed at `{site}`: "
                f"{type(error).__name__}: {error}\n{hint}"
            ) from error
        loaded = module_from_namespace(vars(python_module), path, path, Label("", path))
        self._by_key[path] = loaded
        return loaded

    def load_python_module(self, module: python_types.ModuleType) -> LoadedModule:
        file = getattr(module, "__file__", None)
        key = str(Path(file).resolve()) if file else f"python:{module.__name__}"
        found = self._by_key.get(key)
        if found is None:
            found = module_from_namespace(vars(module), file or f"<{module.__name__}>", key,
                                          module.__name__)
            self._by_key[key] = found
        return found

    def resolve(self, entry: Any, importer: LoadedModule | None, position: int) -> LoadedModule:
        """The module an `imports` entry names."""
        if isinstance(entry, Module):
            key = entry.key if entry.key is not None else ("object", id(entry), entry)
            found = self._by_key.get(key)
            if found is None:
                found = self._by_key[key] = module_from_object(
                    entry, importer.base_dir if importer else None)
            return found
        if isinstance(entry, LoadedModule):
            return entry
        if isinstance(entry, python_types.ModuleType):
            return self.load_python_module(entry)
        if isinstance(entry, os.PathLike) or (isinstance(entry, str) and _looks_like_path(entry)):
            return self.load_file(self.resolve_path(entry, importer, position), importer)
        if isinstance(entry, str):
            return self.resolve_name(entry, importer, position)
        raise ModuleImportError(
            f"{self._where(importer, position)}: {entry!r} is not something to import; use a "
            "relative path (\"./hardware.py\"), an importable module name, or a Module(...)"
        )

    def resolve_path(self, entry: Any, importer: LoadedModule | None, position: int,
                     also_in: Path | None = None, names: str = "imports") -> str:
        raw = os.path.expanduser(os.fspath(entry))
        bases = [importer.base_dir if importer else os.getcwd()]
        if also_in is not None:
            bases.append(os.fspath(also_in))
        for base in bases:
            candidate = os.path.join(base, raw)
            for path in (candidate, os.path.join(candidate, "default.py"),
                         os.path.join(candidate, "__init__.py")):
                found = self._file(path)
                if found is not None:
                    return found
        looked = [os.path.join(base, raw) for base in bases]
        nearby = sorted({
            name for folder in {os.path.dirname(path) for path in looked}
            if os.path.isdir(folder) for name in os.listdir(folder) if name.endswith(".py")
        })
        relative_to = ("the importing file" if names == "imports" else "the file listing them") \
            + (" or to the module library" if also_in else "")
        raise ModuleImportError(
            f"{self._where(importer, position, names)}: the module file `{os.fspath(entry)}` "
            f"does not exist (looked for "
            + ", ".join(f"`{display_path(path)}`" for path in looked) + ")."
            f"{did_you_mean(os.path.basename(raw), nearby, within=_close(raw), dotted=False)}\n"
            f"Paths in `{names}` are relative to {relative_to}."
        )

    def _file(self, path: str) -> str | None:
        """The absolute path of `path` if it is a file, else None. Its stat is kept, so
        loading it does not stat it again (this runs for every module file)."""
        try:
            stat = os.stat(path)
        except (OSError, ValueError):
            return None
        if not S_ISREG(stat.st_mode):
            return None
        found = os.path.abspath(path)
        self._stats[found] = stat
        return found

    def resolve_name(self, name: str, importer: LoadedModule | None, position: int) -> LoadedModule:
        entry_points = self.entry_points()
        if name in entry_points:
            target = entry_points[name].load()
            if isinstance(target, python_types.ModuleType):
                return self.load_python_module(target)
            return self.resolve(target, importer, position)
        try:
            python_module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name and not name.startswith(error.name) and error.name != name:
                raise  # a missing dependency inside the imported module
            raise ModuleImportError(
                f"{self._where(importer, position)}: no module named `{name}` (neither an "
                f"importable Python module nor a `{ENTRY_POINT_GROUP}` entry point)."
                f"{did_you_mean(name, entry_points, within=_close(name), dotted=False)}\n"
                "Install the package that provides it "
                "(pip install ...), or write a relative path such as \"./name.py\"."
            ) from None
        except Exception as error:
            site = user_frame_site(error)
            raise ModuleLoadError(
                f"Importing the module `{name}` ({self._where(importer, position)}) failed"
                + (f" at `{site}`" if site else "") + f": {type(error).__name__}: {error}"
            ) from error
        return self.load_python_module(python_module)

    def entry_points(self) -> dict[str, Any]:
        if self._entry_points is None:
            from importlib.metadata import entry_points

            self._entry_points = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        return self._entry_points

    def key_of(self, entry: Any, importer: LoadedModule, position: int) -> Any:
        """The key a `disabled_modules` entry names (paths may be relative to the library).
        A bad entry is reported as a bad `disabled_modules` entry, at its line."""
        if isinstance(entry, Module):
            if entry.key is None:
                raise DisabledModulesError(
                    f"`disabled_modules` in `{self._site(importer, position, 'disabled_modules')}`"
                    " contains a Module without a `key`; only modules with a key (or files) can "
                    "be disabled. Give the module a key=\"...\" and disable that key."
                )
            return entry.key
        if isinstance(entry, os.PathLike) or (isinstance(entry, str) and _looks_like_path(entry)):
            try:
                return self.resolve_path(entry, importer, position, also_in=self.modules_path,
                                         names="disabled_modules")
            except ModuleImportError as error:
                raise DisabledModulesError(str(error)) from None
        where = self._where(importer, position, "disabled_modules")
        if isinstance(entry, str):
            try:
                return self.resolve(entry, importer, position).key
            except ModuleImportError:
                raise DisabledModulesError(
                    f"{where}: `{entry}` names no module (no module key, importable module or "
                    f"`{ENTRY_POINT_GROUP}` entry point has that name).{self._library_file(entry)}"
                    "\nWrite the module's file path, e.g. \"services/getty.py\" (relative to "
                    "the file listing it, or to the module library), or its key."
                ) from None
        raise DisabledModulesError(
            f"{where}: {entry!r} is not a module. Write the module's file path, e.g. "
            "\"services/getty.py\" (relative to the file listing it, or to the module "
            "library), an importable module name, its key, or the Module object itself."
        )

    def _library_file(self, name: str) -> str:
        """' Did you mean `services/getty.py`?' for a bare name of a module library file."""
        if self.modules_path is None or not name or "\0" in name:
            return ""
        stem = name.replace(".", "/")
        found = sorted(
            path.relative_to(self.modules_path).as_posix()
            for path in self.modules_path.rglob("*.py")
            if path.relative_to(self.modules_path).with_suffix("").as_posix().endswith(stem)
        )
        return f" Did you mean `{found[0]}`?" if len(found) == 1 else ""

    def _where(self, importer: LoadedModule | None, position: int,
               names: str = "imports") -> str:
        if importer is None:
            return "the command line"
        site = self._site(importer, position, names)
        return f"imported by `{site}`" if names == "imports" else f"in `{names}` of `{site}`"

    def _site(self, importer: LoadedModule, position: int, names: str) -> Site:
        """The line of entry `position` of the list `names` in a module file (or the
        module's own site)."""
        line = None
        if not importer.site.file.startswith("<") and importer.site.line == 1:
            line = self.sources.index(importer.site.file).line_of_list_item(names, position)
        return Site(importer.site.file, line or importer.site.line)


def cached_code(path: str, stat: os.stat_result | None = None) -> python_types.CodeType | None:
    """The code of `path` (whose `stat` may be known) from its up-to-date `__pycache__`
    entry, or None.

    The short path of importlib's own check (timestamp-based pycs only); anything unusual
    falls back to importlib, which also writes the cache."""
    try:
        data = _read_bytes(importlib.util.cache_from_source(path))
        if stat is None:
            stat = os.stat(path)
    except (OSError, NotImplementedError, ValueError):
        return None
    if (
        len(data) < 16 or data[:4] != importlib.util.MAGIC_NUMBER
        or data[4:8] != b"\0\0\0\0"
        or int.from_bytes(data[8:12], "little") != int(stat.st_mtime) & 0xFFFFFFFF
        or int.from_bytes(data[12:16], "little") != stat.st_size & 0xFFFFFFFF
    ):
        return None
    try:
        code = marshal.loads(memoryview(data)[16:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, python_types.CodeType) else None


def _read_bytes(path: str, chunk: int = 1 << 16) -> bytes:
    """A whole (small) file in one read system call, where `open().read()` takes four: this
    runs for every module file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = [os.read(fd, chunk)]
        while len(parts[-1]) == chunk:
            parts.append(os.read(fd, chunk))
    finally:
        os.close(fd)
    return b"".join(parts)


def _close(name: str) -> int:
    """How many edits away a file or package name suggestion may be."""
    return max(1, len(os.path.basename(name)) // 4)


def _anonymous(module: LoadedModule) -> bool:
    """A Module object without a key: every import of it counts (as in NixOS)."""
    return isinstance(module.key, tuple) and module.key[:1] == ("object",)


def _looks_like_path(entry: str) -> bool:
    return "/" in entry or entry.endswith(".py") or entry.startswith(".") or entry.startswith("~")


def collect_modules(loader: Loader, roots: Sequence[Any]) -> list[LoadedModule]:
    """The module list: imports before importers, de-duplicated by key, disabled ones out."""
    everything = _walk(loader, roots, disabled=set())
    keys = {module.key for module in everything if isinstance(module.key, str)}
    disabled: dict[Any, None] = {}
    for module in everything:
        for position, entry in enumerate(module.disabled):
            if isinstance(entry, str) and entry in keys:
                disabled[entry] = None
            else:
                disabled[loader.key_of(entry, module, position)] = None
    if not disabled:
        return everything
    return _walk(loader, roots, disabled=set(disabled))


def _walk(loader: Loader, roots: Sequence[Any], disabled: set[Any]) -> list[LoadedModule]:
    order: list[LoadedModule] = []
    seen: set[Any] = set()

    def visit(module: LoadedModule) -> None:
        stack: list[tuple[LoadedModule, int]] = [(module, 0)]
        seen.add(module.key)
        while stack:
            current, position = stack.pop()
            if position < len(current.imports):
                stack.append((current, position + 1))
                child = loader.resolve(current.imports[position], current, position)
                loader.import_edges[(current.key, child.key)] = None
                if child.key in disabled or (child.key in seen and not _anonymous(child)):
                    continue
                if any(entry is child for entry, _ in stack):
                    continue  # a keyless module importing itself
                seen.add(child.key)
                stack.append((child, 0))
            else:
                order.append(current)

    for position, root in enumerate(roots):
        module = loader.resolve(root, None, position)
        if module.key in disabled or (module.key in seen and not _anonymous(module)):
            continue
        visit(module)
    return order
