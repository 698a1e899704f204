"""PyTorch-CPU reference for `pnpm bench`: the same networks as
packages/core/src/backend/wasm/reference-models.ts (conv autoencoder in the quickstart backbone shape; one pre-LN
transformer block) and a 1024^3 matmul, timed the same way (warm-up steps excluded, median of the step times).

usage: python3 bench/torch_ref.py --model tokenizer|transformer|matmul [--threads 1] [--steps 5] [--warmup 1]
Prints one JSON line. Weights are PyTorch's default init (timing only; the architecture is what must match).
"""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('--model', default='tokenizer')
p.add_argument('--threads', type=int, default=1)
p.add_argument('--steps', type=int, default=5)
p.add_argument('--warmup', type=int, default=1)
p.add_argument('--batch', type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


class ResBlock(nn.Module):
    def __init__(s, cin, cout, groups):
        super().__init__()
        s.n1 = nn.GroupNorm(groups, cin, eps=1e-6); s.c1 = nn.Conv2d(cin, cout, 3, 1, 1)
        s.n2 = nn.GroupNorm(groups, cout, eps=1e-6); s.c2 = nn.Conv2d(cout, cout, 3, 1, 1)
        s.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(s, x):
        h = s.c1(F.silu(s.n1(x)))
        h = s.c2(F.silu(s.n2(h)))
        return (s.skip(x) if s.skip is not None else x) + h


class Autoencoder(nn.Module):
    """Mirror of convAutoencoder(): enc blocks 1/stage, dec blocks 2/stage, 1 mid block each, quant convs."""

    def __init__(s, C=1, ch=32, mults=(1, 2, 2), zc=4, groups=8, enc_blocks=1, dec_blocks=2, mid=1):
        super().__init__()
        widths = [m * ch for m in mults]
        s.enc_in = nn.Conv2d(C, ch, 3, 1, 1)
        enc = []; prev = ch
        for i, w in enumerate(widths):
            for _ in range(enc_blocks):
                enc.append(ResBlock(prev, w, groups)); prev = w
            if i < len(widths) - 1:
                enc.append(nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(w, w, 3, 2, 0)))
        s.enc = nn.Sequential(*enc, *[ResBlock(prev, prev, groups) for _ in range(mid)])
        s.enc_out = nn.Sequential(nn.GroupNorm(groups, prev, eps=1e-6), nn.SiLU(), nn.Conv2d(prev, zc, 3, 1, 1), nn.Conv2d(zc, zc, 1))
        top = widths[-1]
        dec = [nn.Conv2d(zc, zc, 1), nn.Conv2d(zc, top, 3, 1, 1)] + [ResBlock(top, top, groups) for _ in range(mid)]
        prev = top
        for i in reversed(range(len(widths))):
            for _ in range(dec_blocks):
                dec.append(ResBlock(prev, widths[i], groups)); prev = widths[i]
            if i > 0:
                dec.append(nn.Sequential(nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(prev, prev, 3, 1, 1)))
        s.dec = nn.Sequential(*dec, nn.GroupNorm(groups, prev, eps=1e-6), nn.SiLU(), nn.Conv2d(prev, C, 3, 1, 1))

    def forward(s, x):
        return s.dec(s.enc_out(s.enc(s.enc_in(x))))


class Block(nn.Module):
    def __init__(s, D=128, H=4, Fh=512):
        super().__init__()
        s.H = H; s.ln1 = nn.LayerNorm(D); s.ln2 = nn.LayerNorm(D); s.qkv = nn.Linear(D, 3 * D); s.o = nn.Linear(D, D)
        s.w1 = nn.Linear(D, Fh); s.w2 = nn.Linear(Fh, D)

    def forward(s, x):
        B, T, D = x.shape
        q, k, v = s.qkv(s.ln1(x)).view(B, T, 3, s.H, D // s.H).permute(2, 0, 3, 1, 4)
        mask = torch.triu(torch.full((T, T), -1e9), 1)
        att = torch.softmax(q @ k.transpose(-1, -2) / (D // s.H) ** 0.5 + mask, -1)
        x = x + s.o((att @ v).transpose(1, 2).reshape(B, T, D))
        return x + s.w2(F.gelu(s.w1(s.ln2(x))))


def timed(step):
    ts = []
    for i in range(a.warmup + a.steps):
        t = time.perf_counter(); step(); dt = (time.perf_counter() - t) * 1e3
        if i >= a.warmup: ts.append(dt)
    return ts


out = {'model': a.model, 'impl': f'torch_cpu_{a.threads}t', 'torch': torch.__version__}
if a.model == 'matmul':
    x = torch.randn(1024, 1024); y = torch.randn(1024, 1024)
    ts = timed(lambda: x @ y)
    out['nn_ms'] = round(statistics.median(ts), 2)
    ts = timed(lambda: x.t() @ y)
    out['tn_ms'] = round(statistics.median(ts), 2)
else:
    if a.model == 'tokenizer':
        B = a.batch or 32
        m = Autoencoder()
        x = torch.tanh(2 * F.avg_pool2d(torch.randn(B, 1, 32, 32), 3, 1, 1, count_include_pad=False))
        loss_fn = lambda: (m(x) - x).abs().mean()
    else:
        B = a.batch or 16
        m = Block(); x = torch.randn(B, 64, 128); y = torch.randn(B, 64, 128)
        loss_fn = lambda: ((m(x) - y) ** 2).mean()
    opt = torch.optim.Adam(m.parameters(), 1e-3)

    def step():
        opt.zero_grad(); loss = loss_fn(); loss.backward(); opt.step()

    ts = timed(step)
    out.update(batch=B, step_ms=round(statistics.median(ts), 2), all_ms=[round(t, 1) for t in ts])
print(json.dumps(out))
