"""Ways to run the sentence-transformers model folder: torch as converted, or an ONNX export of it
run by ONNX Runtime (float or int8) or OpenVINO. The exports live beside the converted model,
are made once on first use, and need no download."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kb.errors import KbError

BACKENDS = ("torch", "torch-int8", "onnx", "onnx-int8", "openvino")
ONNX_FILE = "model.onnx"
ONNX_INT8_FILE = "model-int8-per-channel.onnx"
MAX_TOKENS = 512

Encode = Callable[[list[str]], np.ndarray]


def check_backend(backend: str) -> str:
    """The backend name, or a message listing the ones there are."""
    if backend not in BACKENDS:
        raise KbError(f"Okänd KB_MODEL_BACKEND {backend!r}; välj en av {', '.join(BACKENDS)}.")
    return backend


def export_folder(model_folder: Path) -> Path:
    """Where a model folder's exports are kept: beside it, never in the repository."""
    return model_folder.with_name(model_folder.name + "-onnx")


def ensure_onnx(model_folder: Path, *, int8: bool = False,
                notify: Callable[[str], None] | None = None) -> Path:
    """The ONNX export of the model (int8: its dynamically quantised copy), made on first use."""
    folder = export_folder(model_folder)
    plain = folder / ONNX_FILE
    if not plain.exists():
        if notify:
            notify(f"Exporterar språkmodellen till ONNX (en gång) i {folder} ...")
        _export(model_folder, plain)
    if not int8:
        return plain
    quantised = folder / ONNX_INT8_FILE
    if not quantised.exists():
        if notify:
            notify(f"Kvantiserar språkmodellen till int8 (en gång) i {folder} ...")
        from onnxruntime.quantization import QuantType, quantize_dynamic

        partial = quantised.with_suffix(".partial.onnx")
        # MatMul weights only, one scale per output channel: the embedding table stays float.
        quantize_dynamic(plain, partial, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                         per_channel=True)
        partial.replace(quantised)
    return quantised


def _export(model_folder: Path, target: Path) -> None:
    """Trace the BERT encoder (input ids, mask -> token states) into an ONNX file."""
    import torch
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    bert = BertModel.from_pretrained(model_folder, attn_implementation="eager").eval()

    class _TokenStates(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.onnx")
    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_TokenStates(bert), example, str(partial),
                          input_names=["input_ids", "attention_mask"], output_names=["token_states"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_states": axes},
                          opset_version=17, dynamo=False)
    partial.replace(target)


class _Tokens:
    """The model folder's fast tokenizer, padding each batch to its longest text."""

    def __init__(self, model_folder: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(model_folder / "tokenizer.json"))
        pad_id = self._tok.token_to_id("<pad>")
        self._tok.enable_truncation(MAX_TOKENS)
        self._tok.enable_padding(pad_id=pad_id, pad_token="<pad>")

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encoded = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return ids, mask


def _mean_pool(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the real tokens' states, unit length: what the sentence-transformers folder does."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def batched_by_length(run: Callable[[list[str]], np.ndarray], batch_size: int) -> Encode:
    """Encode in batches of similar length (little padding), results in the input order."""

    def encode(texts: list[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            part = order[start : start + batch_size]
            vectors = run([texts[i] for i in part])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[part] = vectors
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    return encode


def onnxruntime_encoder(model_folder: Path, onnx_file: Path, threads: int | None = None) -> Encode:
    """Texts -> unit vectors with ONNX Runtime, graph optimisations on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or os.cpu_count() or 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
    tokens = _Tokens(model_folder)

    def run(texts: list[str]) -> np.ndarray:
        ids, mask = tokens(texts)
        (states,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
        return _mean_pool(states, mask)

    return run


def openvino_encoder(model_folder: Path, onnx_file: Path, threads: int | None = None) -> Encode:
    """Texts -> unit vectors with OpenVINO's CPU plugin reading the ONNX export."""
    import openvino as ov

    config = {"PERFORMANCE_HINT": "LATENCY"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = str(threads)
    compiled = ov.Core().compile_model(str(onnx_file), "CPU", config)
    request = compiled.create_infer_request()
    tokens = _Tokens(model_folder)
    lock = threading.Lock()  # one infer request, and the web server has several threads

    def run(texts: list[str]) -> np.ndarray:
        ids, mask = tokens(texts)
        with lock:
            states = np.array(request.infer({"input_ids": ids, "attention_mask": mask})[compiled.output(0)])
        return _mean_pool(states, mask)

    return run
