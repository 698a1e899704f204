#!/usr/bin/env python3
"""Make the LPIPS test fixture: tiny seeded AlexNet/VGG16-topology trunks + lin layers, and the LPIPS distances
torch computes with them (an independent implementation of spec §9.3 in PyTorch).

Run: /usr/bin/python3 packages/metrics/scripts/make_lpips_fixture.py

Writes packages/metrics/src/lpips/fixtures/{lpips-alex-tiny,lpips-vgg-tiny}.safetensors (our weight layout:
`features.<i>.weight|bias` with torchvision indices, `lin<l>.weight` [1,C,1,1]) and lpips-expected.json with the
per-image distances (standard and spatial=True) for the images given by `image(n, h, w, c)` below, which the TS
test regenerates.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_io import write_safetensors  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'src', 'lpips', 'fixtures')
N, H, W = 2, 48, 48

# (torchvision features index, kernel, stride, padding), pools, taps, narrow channel widths
ALEX = dict(convs=[(0, 11, 4, 2), (3, 5, 1, 2), (6, 3, 1, 1), (8, 3, 1, 1), (10, 3, 1, 1)],
            ops=[0, 'pool', 3, 'pool', 6, 8, 10], taps=[0, 3, 6, 8, 10], pool=3, widths=[8, 12, 16, 12, 12])
VGG_IDX = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
VGG = dict(convs=[(i, 3, 1, 1) for i in VGG_IDX],
           ops=[0, 2, 'pool', 5, 7, 'pool', 10, 12, 14, 'pool', 17, 19, 21, 'pool', 24, 26, 28],
           taps=[2, 7, 14, 21, 28], pool=2, widths=[4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 8, 8, 8])
SHIFT = torch.tensor([-.030, -.088, -.188]).view(1, 3, 1, 1)
SCALE = torch.tensor([.458, .448, .450]).view(1, 3, 1, 1)


def image(n, h, w, c, which):
    """Deterministic test images in [-1, 1]; `which` 0 = x, 1 = y."""
    return 0.9 * math.sin(0.11 * (h + 1) * (c + 1) + 0.07 * w + 1.3 * n + 0.5 * which * (1 + math.cos(0.2 * h)))


def make_images(which):
    a = np.zeros((N, 3, H, W), dtype=np.float32)
    for n in range(N):
        for h in range(H):
            for w in range(W):
                for c in range(3):
                    a[n, c, h, w] = image(n, h, w, c, which)
    return torch.from_numpy(a)


def build(spec, seed):
    g = torch.Generator().manual_seed(seed)
    params, cin = {}, 3
    for (idx, k, _, _), cout in zip(spec['convs'], spec['widths']):
        params[f'features.{idx}.weight'] = torch.randn(cout, cin, k, k, generator=g) * math.sqrt(2.0 / (cin * k * k))
        params[f'features.{idx}.bias'] = torch.randn(cout, generator=g) * 0.1
        cin = cout
    widths = {idx: w for (idx, _, _, _), w in zip(spec['convs'], spec['widths'])}
    for l, t in enumerate(spec['taps']):
        params[f'lin{l}.weight'] = torch.rand(1, widths[t], 1, 1, generator=g)  # non-negative
    return params


def lpips(spec, p, x, y, spatial):
    conv = {idx: (s, pad) for idx, _, s, pad in spec['convs']}

    def feats(z):
        h = (z - SHIFT) / SCALE
        out = []
        for op in spec['ops']:
            if op == 'pool':
                h = F.max_pool2d(h, spec['pool'], 2)
                continue
            s, pad = conv[op]
            h = F.relu(F.conv2d(h, p[f'features.{op}.weight'], p[f'features.{op}.bias'], stride=s, padding=pad))
            if op in spec['taps']:
                out.append(h)
        return out

    total = 0
    for l, (a, b) in enumerate(zip(feats(x), feats(y))):
        na = a / (torch.sqrt(torch.sum(a ** 2, dim=1, keepdim=True)) + 1e-10)
        nb = b / (torch.sqrt(torch.sum(b ** 2, dim=1, keepdim=True)) + 1e-10)
        m = F.conv2d((na - nb) ** 2, p[f'lin{l}.weight'])
        if spatial:
            m = F.interpolate(m, size=(H, W), mode='bilinear', align_corners=False)
        total = total + m.mean(dim=(1, 2, 3))
    return total


def main():
    torch.set_default_dtype(torch.float64)
    x, y = make_images(0).double(), make_images(1).double()
    expected = {'made_by': 'packages/metrics/scripts/make_lpips_fixture.py', 'shape': [N, H, W, 3]}
    for name, spec, seed in [('alex', ALEX, 1), ('vgg', VGG, 2)]:
        p = build(spec, seed)
        p32 = {k: v.float() for k, v in p.items()}
        p = {k: v.double() for k, v in p32.items()}  # expected values from exactly the stored float32 weights
        write_safetensors(os.path.join(OUT, f'lpips-{name}-tiny.safetensors'),
                          {k: v.numpy() for k, v in p32.items()}, {'net': name, 'note': 'seeded test weights'})
        with torch.no_grad():
            expected[name] = {
                'standard': lpips(spec, p, x, y, False).tolist(),
                'spatial': lpips(spec, p, x, y, True).tolist(),
                'self': lpips(spec, p, x, x, False).tolist(),
            }
    with open(os.path.join(OUT, 'lpips-expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)
    print(json.dumps(expected))


if __name__ == '__main__':
    main()
