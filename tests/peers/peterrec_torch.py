#!/usr/bin/env python3
# Vendored from the shared peers folder (shared/peers/peterrec_torch.py beside the repositories), unchanged below this line, so a clean clone (CI) has it.
"""PyTorch peer of the PeterRec model, for side-by-side speed comparisons.

It builds the same network as the reference implementation describes
(NextItNet residual blocks with dilated causal convolutions, model patches,
a dot-product head over a target vocabulary) and times training steps on
random data. It prints one JSON line, so a benchmark can read it.

Install the peer:  apt-get install -y python3-torch libopenblas0-pthread
Run it with the system Python (not a pyenv one):

  /usr/bin/python3 peterrec_torch.py --mode peterrec --items 10000 --targets 1000 \
      --emb 64 --batch 128 --seq 50 --threads 2 --steps 20

Modes:
  pretrain   next-item prediction over --items (all params train); --loss softmax (full) or
             sampled (log-uniform sampler over frequency-ranked ids, --sampled negatives shared
             by the batch, log-Q correction, accidental hits removed)
  fineall    fine-tune on the [CLS] position against --targets, all params train
  peterrec   fine-tune with serial model patches: patches, second layer norms, [CLS], head train
  finecls    fine-tune the [CLS] input embedding and the head (backbone frozen, so the backward
             pass still runs through every block, as in the paper's FineCLS)
  headonly   fine-tune only the head (no backward through the backbone)
  infer      forward pass only (no grad): user representation + scores over --targets

Fine-tuning and infer append a learned [CLS] vector after the sequence (seq + 1 positions) and
read the user representation there; --no-cls reads the last item's position instead.
"""
import argparse, json, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Patch(nn.Module):
    """Bottleneck adapter: x + up(gelu(down(x))), applied per position."""

    def __init__(self, ch, hidden):
        super().__init__()
        self.down = nn.Conv1d(ch, hidden, 1)
        self.up = nn.Conv1d(hidden, ch, 1)
        for m in (self.down, self.up):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def forward(self, x):  # [B, C, T]
        return x + self.up(F.gelu(self.down(x), approximate="tanh"))


class Block(nn.Module):
    """out = x + relu(ln2(conv_2d(relu(ln1(conv_d(x)))))); patches follow each conv."""

    def __init__(self, ch, dilation, patch_hidden):
        super().__init__()
        self.d = dilation
        self.conv1 = nn.Conv1d(ch, ch, 3, dilation=dilation)
        self.conv2 = nn.Conv1d(ch, ch, 3, dilation=2 * dilation)
        self.ln1, self.ln2 = nn.LayerNorm(ch, eps=1e-8), nn.LayerNorm(ch, eps=1e-8)
        self.p1 = Patch(ch, patch_hidden) if patch_hidden else None
        self.p2 = Patch(ch, patch_hidden) if patch_hidden else None

    @staticmethod
    def _ln(ln, h):
        return ln(h.transpose(1, 2)).transpose(1, 2)

    def forward(self, x):  # [B, C, T]
        h = self.conv1(F.pad(x, (2 * self.d, 0)))  # causal: left pad (k-1)*d
        if self.p1 is not None:
            h = self.p1(h)
        h = F.relu(self._ln(self.ln1, h))
        h = self.conv2(F.pad(h, (4 * self.d, 0)))
        if self.p2 is not None:
            h = self.p2(h)
        h = F.relu(self._ln(self.ln2, h))
        return x + h


class PeterRec(nn.Module):
    def __init__(self, items, targets, emb, dilations, patch_hidden):
        super().__init__()
        self.emb = nn.Embedding(items, emb)
        self.blocks = nn.ModuleList(Block(emb, d, patch_hidden) for d in dilations)
        self.pre_head = nn.Linear(emb, items)          # pretraining softmax
        self.target_emb = nn.Embedding(targets, emb)   # fine-tuning head
        self.cls = nn.Parameter(torch.zeros(emb))      # [CLS] input vector
        for t in (self.emb.weight, self.target_emb.weight, self.cls):
            nn.init.trunc_normal_(t, std=0.02)

    def hidden(self, ids, cls=False):  # [B, T] -> [B, T(+1), C]
        e = self.emb(ids)
        if cls:
            e = torch.cat([e, self.cls.expand(e.shape[0], 1, -1)], dim=1)
        h = e.transpose(1, 2)
        for b in self.blocks:
            h = b(h)
        return h.transpose(1, 2)

    def user_rep(self, ids, cls=True):  # representation at the last ([CLS]) position
        return self.hidden(ids, cls)[:, -1, :]


def trainable(model, mode):
    for p in model.parameters():
        p.requires_grad = mode in ("pretrain", "fineall")
    if mode == "peterrec":
        for b in model.blocks:
            for m in (b.p1, b.p2, b.ln2):
                for p in m.parameters():
                    p.requires_grad = True
    if mode in ("peterrec", "finecls", "fineall", "headonly"):
        model.target_emb.weight.requires_grad = True
    model.cls.requires_grad = mode in ("peterrec", "finecls", "fineall")
    return [p for p in model.parameters() if p.requires_grad]


def sampled_softmax_loss(h, y, weight, bias, num_sampled, n_items):
    """Sampled softmax as TensorFlow's sampled_softmax_loss computes it, with a log-uniform
    sampler over ids ranked by frequency (id 0 most frequent), one negative set per batch."""
    log_range = torch.log(torch.tensor(float(n_items + 1)))
    u = torch.rand(num_sampled)
    s = (torch.exp(u * log_range).floor().long() - 1).clamp_(0, n_items - 1)  # [S]

    def log_q(ids):  # log of the expected count of ids among num_sampled draws
        p = (torch.log((ids + 2).float()) - torch.log((ids + 1).float())) / log_range
        return torch.log(p * num_sampled)

    true_logit = (h * weight[y]).sum(-1) + bias[y] - log_q(y)              # [N]
    samp_logit = h @ weight[s].T + bias[s] - log_q(s)                      # [N, S]
    samp_logit = samp_logit.masked_fill(y.unsqueeze(1) == s.unsqueeze(0), float("-inf"))
    logits = torch.cat([true_logit.unsqueeze(1), samp_logit], dim=1)
    return F.cross_entropy(logits, torch.zeros_like(y))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="peterrec",
                    choices=["pretrain", "fineall", "peterrec", "finecls", "headonly", "infer"])
    ap.add_argument("--loss", default="softmax", choices=["softmax", "sampled"])
    ap.add_argument("--sampled", type=int, default=0, help="negatives for --loss sampled; 0: items/5")
    ap.add_argument("--no-cls", action="store_true", help="read the last item's position, no [CLS]")
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--emb", type=int, default=64)
    ap.add_argument("--dilations", default="1,4,1,4,1,4,1,4")
    ap.add_argument("--patch-hidden", type=int, default=0, help="0: emb/8")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seq", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    hidden = a.patch_hidden or max(1, a.emb // 8)
    patched = a.mode == "peterrec"
    model = PeterRec(a.items, a.targets, a.emb, [int(d) for d in a.dilations.split(",")],
                     hidden if patched else 0)
    params = trainable(model, a.mode)
    opt = torch.optim.Adam(params, lr=1e-3) if params else None

    x = torch.randint(1, a.items, (a.batch, a.seq))
    y_next = torch.randint(1, a.items, (a.batch, a.seq))
    y_target = torch.randint(0, a.targets, (a.batch,))

    use_cls = not a.no_cls
    num_sampled = a.sampled or max(1, a.items // 5)

    def step():
        if a.mode == "infer":
            with torch.no_grad():
                rep = model.user_rep(x, use_cls)
                scores = rep @ model.target_emb.weight.T
                torch.topk(scores, 10, dim=1)
            return 0.0
        opt.zero_grad(set_to_none=True)
        if a.mode == "pretrain" and a.loss == "sampled":
            h = model.hidden(x).reshape(-1, a.emb)
            loss = sampled_softmax_loss(h, y_next.reshape(-1), model.pre_head.weight,
                                        model.pre_head.bias, num_sampled, a.items)
        elif a.mode == "pretrain":
            logits = model.pre_head(model.hidden(x))
            loss = F.cross_entropy(logits.reshape(-1, a.items), y_next.reshape(-1))
        else:
            logits = model.user_rep(x, use_cls) @ model.target_emb.weight.T
            loss = F.cross_entropy(logits, y_target)
        loss.backward()
        opt.step()
        return loss.item()

    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({
        "peer": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
        "mode": a.mode, "loss": a.loss if a.mode == "pretrain" else None,
        "sampled": num_sampled if a.mode == "pretrain" and a.loss == "sampled" else None,
        "cls": use_cls if a.mode != "pretrain" else None, "items": a.items, "targets": a.targets, "emb": a.emb,
        "batch": a.batch, "seq": a.seq, "steps": a.steps,
        "trainable_params": sum(p.numel() for p in params),
        "total_params": sum(p.numel() for p in model.parameters()),
        "ms_per_step_median": round(med * 1000, 2),
        "samples_per_s": round(a.batch / med, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
