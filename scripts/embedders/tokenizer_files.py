"""Copies a model's tokenizer files into a converted model folder, as transformers.js reads them."""

import json
import os
import shutil


def copy_tokenizer(src_dir: str, out_dir: str, files: tuple[str, ...], max_length: int) -> None:
    """Copies `files` and writes tokenizer_config.json with the length the model keeps (and no source path)."""
    for name in files:
        shutil.copy(os.path.join(src_dir, name), os.path.join(out_dir, name))
    with open(os.path.join(src_dir, "tokenizer_config.json")) as f:
        tokenizer_config = json.load(f)
    tokenizer_config["model_max_length"] = max_length
    tokenizer_config.pop("name_or_path", None)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config, f)
