#!/usr/bin/env python3
"""PeterRec's tensor files from PyTorch, for the interop test (PyTorchInteropTests) and as a worked example.

The files are safetensors (docs/file-format.md). Debian's python3-torch (1.13) has no `safetensors` module, so this
reads and writes the documented layout with json, struct, zlib and numpy, including PeterRec's seal (peterrec.crc32).

  interop.py ours --backbone DIR --task DIR --ids IDS.json --out OUT.json
      load a backbone and a peterrec-serial task written by PeterRec into the peer's module (peterrec_torch.PeterRec),
      report unmatched parameter names, and the backbone's hidden states and the task's scores on the given batch.
  interop.py peer --backbone DIR --task DIR --ids IDS.json --out OUT.json --items N --targets T --emb C --dilations 1,2
                  --seq L --patch-hidden H [--steps S]
      train the peer's module a few Adam steps on random data ("peterrec" mode), write it as a PeterRec backbone and
      task directory, and report its scores on the batch.
"""
import argparse, hashlib, json, os, struct, sys, zlib

import numpy
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peterrec_torch  # noqa: E402  (the vendored peer)

DTYPES = {"F32": numpy.float32, "I64": numpy.int64}


def read(path):
    """(metadata, {name: tensor}) of a safetensors file."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        a = numpy.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        tensors[name] = torch.from_numpy(a.copy())
    return meta, tensors


def write(path, kind, meta, tensors):
    """A sealed PeterRec file: float32 tensors in the given order, metadata plus format, kind and crc32."""
    entries, blobs, offset = [], [], 0
    for name, t in tensors:
        raw = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        entries.append((name, "F32", list(t.shape), offset, offset + len(raw)))
        blobs.append(raw)
        offset += len(raw)
    data = b"".join(blobs)
    meta = dict(meta, **{"peterrec.format": "1", "peterrec.kind": kind})
    canonical = "".join(f"{k}={meta[k]}\n" for k in sorted(meta))
    canonical += "".join(f"{n}:{d}:{','.join(map(str, s))}:{b}:{e}\n" for n, d, s, b, e in sorted(entries))
    meta["peterrec.crc32"] = "%08x" % zlib.crc32(canonical.encode(), zlib.crc32(data))
    header = {"__metadata__": meta}
    header.update({n: {"dtype": d, "shape": s, "data_offsets": [b, e]} for n, d, s, b, e in entries})
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def vocab(path, tokens):
    """One token per line; returns the metadata PeterRec checks it against."""
    raw = "".join(t + "\n" for t in tokens).encode()
    open(path, "wb").write(raw)
    return str(len(tokens)), hashlib.sha256(raw).hexdigest()


def scores(model, ids):
    model.eval()
    with torch.no_grad():
        return (model.user_rep(ids) @ model.target_emb.weight.T).flatten().tolist()


def ours(a):
    bmeta, backbone = read(os.path.join(a.backbone, "backbone.safetensors"))
    tmeta, task = read(os.path.join(a.task, "task.safetensors"))
    config = json.loads(bmeta["peterrec.config"])
    manifest = json.loads(tmeta["peterrec.manifest"])
    ids = torch.tensor(json.load(open(a.ids)), dtype=torch.long)
    targets = task["target_emb.weight"].shape[0]
    plain = peterrec_torch.PeterRec(config["items"], targets, config["channels"], config["dilations"], 0)
    report = plain.load_state_dict(backbone, strict=False)
    patched = peterrec_torch.PeterRec(config["items"], targets, config["channels"], config["dilations"], manifest["patch_hidden"])
    both = patched.load_state_dict({**backbone, **task}, strict=False)
    plain.eval()
    with torch.no_grad():
        hidden = plain.hidden(ids).flatten().tolist()
    json.dump({
        "backbone_missing": sorted(report.missing_keys), "backbone_unexpected": sorted(report.unexpected_keys),
        "task_missing": sorted(both.missing_keys), "task_unexpected": sorted(both.unexpected_keys),
        "hidden": hidden, "scores": scores(patched, ids),
    }, open(a.out, "w"))


def peer(a):
    torch.manual_seed(a.seed)
    dilations = [int(d) for d in a.dilations.split(",")]
    model = peterrec_torch.PeterRec(a.items, a.targets, a.emb, dilations, a.patch_hidden)
    params = peterrec_torch.trainable(model, "peterrec")
    for p in model.parameters():  # a "pretrained" backbone: every weight moved off its init
        with torch.no_grad():
            p.add_(torch.randn_like(p) * 0.05)
    opt = torch.optim.Adam(params, lr=1e-2)
    x = torch.randint(2, a.items, (16, a.seq))
    y = torch.randint(0, a.targets, (16,))
    for _ in range(a.steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model.user_rep(x) @ model.target_emb.weight.T, y).backward()
        opt.step()
    state = model.state_dict()
    os.makedirs(a.backbone, exist_ok=True)
    os.makedirs(a.task, exist_ok=True)
    config = {"items": a.items, "channels": a.emb, "kernel": 3, "dilations": dilations, "max_seq": a.seq, "masked": False, "mask_id": -1}
    count, sha = vocab(os.path.join(a.backbone, "source_vocab.txt"), ["<pad>", "<unk>"] + [f"s{i}" for i in range(a.items - 2)])
    backbone_names = [n for n in state if n == "emb.weight" or (n.startswith("blocks.") and ".p1." not in n and ".p2." not in n)]
    write(os.path.join(a.backbone, "backbone.safetensors"), "backbone",
          {"peterrec.config": json.dumps(config, separators=(",", ":")), "peterrec.source_vocab.count": count, "peterrec.source_vocab.sha256": sha},
          [(n, state[n]) for n in backbone_names])
    json.dump(config, open(os.path.join(a.backbone, "config.json"), "w"), indent=2)
    fingerprint = hashlib.sha256(open(os.path.join(a.backbone, "backbone.safetensors"), "rb").read()).hexdigest()[:16]
    manifest = {"task": "rec", "mode": "peterrec-serial", "targets": a.targets, "patch_hidden": a.patch_hidden,
                "backbone_fingerprint": fingerprint, "version": 0}
    count, sha = vocab(os.path.join(a.task, "target_vocab.txt"), [f"t{i}" for i in range(a.targets)])
    task_names = [n for n in state if ".p1." in n or ".p2." in n or ".ln2." in n or n in ("cls", "target_emb.weight")]
    write(os.path.join(a.task, "task.safetensors"), "task",
          {"peterrec.manifest": json.dumps(manifest, separators=(",", ":")), "peterrec.target_vocab.count": count, "peterrec.target_vocab.sha256": sha},
          [(n, state[n]) for n in task_names])
    json.dump(manifest, open(os.path.join(a.task, "task.json"), "w"), indent=2)
    ids = torch.tensor(json.load(open(a.ids)), dtype=torch.long)
    json.dump({"scores": scores(model, ids)}, open(a.out, "w"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("direction", choices=["ours", "peer"])
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--task", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--targets", type=int, default=12)
    ap.add_argument("--emb", type=int, default=16)
    ap.add_argument("--dilations", default="1,2")
    ap.add_argument("--seq", type=int, default=8)
    ap.add_argument("--patch-hidden", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    (ours if a.direction == "ours" else peer)(a)


if __name__ == "__main__":
    main()
