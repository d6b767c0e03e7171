"""Checks a TorchScript and a safetensors export of MTL Workbench with PyTorch.

Usage: export_check.py MODEL.pt WEIGHTS.safetensors EXPECTED.json

EXPECTED.json contains the inputs, the engine's outputs per task, the project name and the label
names. Exits 0 when everything matches, 1 with the reason otherwise.
"""

import json
import struct
import sys

import torch

DTYPES = {
    "F32": torch.float32,
    "F64": torch.float64,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path):
    with open(path, "rb") as file:
        data = file.read()
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_size])
    body = data[8 + header_size :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    end_of_data = 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        if begin != end_of_data:
            raise AssertionError(f"{name}: data starts at {begin}, expected {end_of_data} (a gap or overlap)")
        end_of_data = end
        dtype = DTYPES[entry["dtype"]]
        raw = bytearray(body[begin:end])
        if len(raw) == 0:
            tensor = torch.empty(entry["shape"], dtype=dtype)
        else:
            tensor = torch.frombuffer(raw, dtype=dtype).reshape(entry["shape"])
        tensors[name] = tensor
    if end_of_data != len(body):
        raise AssertionError(f"{len(body) - end_of_data} bytes after the last tensor")
    return tensors, metadata


def main():
    model_path, weights_path, expected_path = sys.argv[1:4]
    with open(expected_path) as file:
        expected = json.load(file)

    extra_files = {"project.json": "", "labels.json": "", "model.json": ""}
    model = torch.jit.load(model_path, _extra_files=extra_files)
    model.eval()

    project = json.loads(extra_files["project.json"])
    if project["name"] != expected["project_name"]:
        raise AssertionError(f"project.json names {project['name']!r}, expected {expected['project_name']!r}")
    labels = json.loads(extra_files["labels.json"])
    if labels != expected["labels"]:
        raise AssertionError(f"labels.json is {labels}, expected {expected['labels']}")
    info = json.loads(extra_files["model.json"])
    if info["input_shape"] != expected["input_shape"]:
        raise AssertionError(f"model.json input_shape {info['input_shape']}, expected {expected['input_shape']}")

    inputs = torch.tensor(expected["inputs"], dtype=torch.float32).reshape([-1] + expected["input_shape"])
    with torch.no_grad():
        outputs = model(inputs)
    if not isinstance(outputs, dict):
        raise AssertionError(f"forward returned {type(outputs).__name__}, expected dict")
    if list(outputs.keys()) != list(expected["outputs"].keys()):
        raise AssertionError(f"output tasks {list(outputs.keys())}, expected {list(expected['outputs'].keys())}")
    for task, reference in expected["outputs"].items():
        wanted = torch.tensor(reference["values"], dtype=torch.float32).reshape(reference["shape"])
        got = outputs[task]
        if list(got.shape) != reference["shape"]:
            raise AssertionError(f"task {task}: output shape {list(got.shape)}, expected {reference['shape']}")
        difference = (got - wanted).abs().max().item()
        if difference > 1e-5:
            raise AssertionError(f"task {task}: outputs differ from the engine's by {difference}")

    tensors, metadata = read_safetensors(weights_path)
    state = model.state_dict()
    if set(tensors) != set(state):
        raise AssertionError(f"safetensors names {sorted(tensors)} differ from state_dict names {sorted(state)}")
    for name, tensor in tensors.items():
        if tensor.dtype != state[name].dtype or not torch.equal(tensor, state[name]):
            raise AssertionError(f"safetensors tensor {name} differs from the TorchScript state_dict")
    if json.loads(metadata["project.json"])["name"] != expected["project_name"]:
        raise AssertionError("safetensors metadata project.json has another project name")
    if json.loads(metadata["labels.json"]) != expected["labels"]:
        raise AssertionError("safetensors metadata labels.json differs")

    # The safetensors weights alone reproduce the outputs when loaded into the module.
    model.load_state_dict({name: tensor.clone() for name, tensor in tensors.items()})
    with torch.no_grad():
        again = model(inputs)
    for task in expected["outputs"]:
        if not torch.equal(again[task], outputs[task]):
            raise AssertionError(f"task {task}: outputs change after loading the safetensors weights")
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print(f"export check failed: {error}", file=sys.stderr)
        sys.exit(1)
