"""The `transformers` backend: Hugging Face transformers + torch, on CUDA when available, else CPU.

Loads a local Hugging Face model directory, or a GGUF file (a registered model name or a path) through
`from_pretrained(dir, gguf_file=...)`, which de-quantizes the weights: fine on a GPU, slow and memory-hungry on CPU
(the 1.5B model takes 4-9 GB there). Nothing is downloaded (`local_files_only=True`). Streaming uses
`TextIteratorStreamer` with generation in a worker thread. JSON schemas are stated in the prompt (no grammar here).
The backend object owns its loaded model (freed by `close()`), like the llama.cpp backend.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from errors import InferenceError, RecoverableError
from inference.base import Message, Options
from inference.common import Meta, StreamingBackend, require
from inference.models import model_path
from inference.prompts import JSON_INSTRUCTION
from inference.schema import bound_schema
from vocabulary import DEFAULT_MODEL

log = logging.getLogger("inference.transformers")


class TransformersBackend(StreamingBackend):
    """`get_backend("transformers", model="smollm2-135m" | "/path/to/hf-dir" | "/path/model.gguf", device=None)`."""

    name = "transformers"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        device: str | None = None,
        threads: int = 0,
        cache_dir: Path | str | None = None,
        dtype: str | None = None,
        **_: Any,
    ) -> None:
        self.model = model
        local = Path(model).expanduser()
        if local.is_dir():
            self.directory, self.gguf_file = local, None
        else:
            path = model_path(model, cache_dir=cache_dir)
            self.directory, self.gguf_file = path.parent, path.name
        self.requested_device = device
        self.threads = int(threads)
        self.dtype = dtype
        self._resident: tuple[Any, Any, threading.Lock] | None = None  # (model, tokenizer, one call at a time)
        self._load_lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, threading.Lock]:
        torch = require("torch", "torch", "transformers")
        transformers = require("transformers", "transformers", "transformers")
        if self.gguf_file:
            require("gguf", "gguf", "transformers")
        device = self.requested_device or ("cuda" if torch.cuda.is_available() else "cpu")
        with self._load_lock:
            if self._resident is not None:
                return self._resident
            if self.threads:
                torch.set_num_threads(self.threads)
            if self.dtype:
                dtype = getattr(torch, self.dtype)
            elif device.startswith("cuda"):
                dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            else:
                dtype = torch.float32
            extra = {"gguf_file": self.gguf_file} if self.gguf_file else {}
            try:
                tokenizer = transformers.AutoTokenizer.from_pretrained(
                    str(self.directory), local_files_only=True, **extra
                )
                model = transformers.AutoModelForCausalLM.from_pretrained(
                    str(self.directory), local_files_only=True, dtype=dtype, **extra
                )
            except (OSError, ValueError, RuntimeError, KeyError) as exc:
                raise InferenceError(
                    f"The model {self.model} could not be loaded with transformers.",
                    f"transformers load {self.directory} gguf={self.gguf_file}: {exc!r}",
                ) from exc
            model = model.to(device).eval()
            log.info(
                "loaded %s%s on %s (%s)", self.directory, f"/{self.gguf_file}" if self.gguf_file else "", device, dtype
            )
            self.device = device
            self._resident = (model, tokenizer, threading.Lock())
            return self._resident

    def load(self) -> TransformersBackend:
        self._load()
        return self

    def prepare(self) -> None:
        self._load()

    def _generate(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        torch = require("torch", "torch", "transformers")
        transformers = require("transformers", "transformers", "transformers")
        model, tokenizer, lock = self._load()
        chat = [m.model_dump() for m in messages]
        if options.json_schema is not None:
            note = JSON_INSTRUCTION.format(schema=json.dumps(bound_schema(options.json_schema)))
            chat = [{"role": "system", "content": note}, *chat]
        inputs = tokenizer.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(model.device)
        prompt_tokens = int(inputs["input_ids"].shape[-1])
        streamer = transformers.TextIteratorStreamer(
            tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600.0
        )
        sample = options.temperature > 0
        kwargs: dict[str, Any] = {
            **inputs,
            "max_new_tokens": options.max_tokens,
            "do_sample": sample,
            "streamer": streamer,
            "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
        }
        if sample:
            kwargs.update(temperature=options.temperature, top_p=options.top_p)
        if options.stop:
            kwargs.update(stop_strings=list(options.stop), tokenizer=tokenizer)
        result: dict[str, Any] = {}

        def work() -> None:
            try:
                if options.seed is not None:
                    torch.manual_seed(options.seed)
                with torch.inference_mode():
                    result["ids"] = model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the caller's thread below
                result["error"] = exc
                streamer.end()

        with lock:
            worker = threading.Thread(target=work, name="transformers-generate", daemon=True)
            worker.start()
            yield from streamer
            worker.join()
        if "error" in result:
            raise result["error"]
        completion_tokens = int(result["ids"].shape[-1]) - prompt_tokens
        finish = "length" if completion_tokens >= options.max_tokens else "stop"
        yield Meta(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, finish_reason=finish)

    def close(self) -> None:
        """Free the model (after the running call); the next call loads it again."""
        with self._load_lock:
            resident, self._resident = self._resident, None
        if resident is not None:
            with resident[2]:
                pass

    def wrap_error(self, exc: Exception) -> RecoverableError | None:
        if isinstance(exc, RuntimeError | ValueError):
            return InferenceError("The model failed while generating a reply.", f"transformers error: {exc!r}")
        return None
