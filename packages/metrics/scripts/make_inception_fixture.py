#!/usr/bin/env python3
"""Make the InceptionV3 architecture fixture: an independent PyTorch transcription of pytorch-fid's FID Inception
(torchvision InceptionV3 + the FIDInceptionA/C/E_1/E_2 patches, PyTorch padding semantics), run with deterministic
formula weights (see `formula_weights`, mirrored by the TS test) on two formula images, at input size 75.

Run: /usr/bin/python3 packages/metrics/scripts/make_inception_fixture.py
Writes packages/metrics/src/features/fixtures/inception-features.json (first 64 features and summary statistics
of each image's 2048-d feature vector).
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'src', 'features', 'fixtures',
                   'inception-features.json')
SIZE = 75


def name_seed(name):
    return sum(ord(ch) for ch in name) % 997


def formula_weights(name, shape):
    """Deterministic float32 values for a tensor; must match formulaWeight() in inception-fixture.slow.test.ts."""
    i = np.arange(int(np.prod(shape)), dtype=np.float64)
    q = name_seed(name)
    if name.endswith('conv.weight'):
        fan_in = int(np.prod(shape[1:]))
        v = np.sin(0.7 * i + 1.3 * q) * (2.0 / math.sqrt(fan_in))
    elif name.endswith('bn.weight'):
        v = 1 + 0.1 * np.sin(i + q)
    elif name.endswith('bn.bias'):
        v = 0.05 * np.cos(i + q)
    elif name.endswith('running_mean'):
        v = 0.02 * np.sin(0.3 * i + q)
    else:  # running_var
        v = 1 + 0.5 * np.abs(np.sin(0.5 * i + q))
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class A(nn.Module):
    def __init__(self, cin, pool):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool, kernel_size=1)

    def forward(self, x):
        p = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))), self.branch_pool(p)], 1)


class B(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class C(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = x
        for k in range(1, 6):
            bd = getattr(self, f'branch7x7dbl_{k}')(bd)
        p = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        return torch.cat([self.branch1x1(x), b7, bd, self.branch_pool(p)], 1)


class D(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        b7 = x
        for k in range(1, 5):
            b7 = getattr(self, f'branch7x7x3_{k}')(b7)
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, 3, 2)], 1)


class E(nn.Module):
    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        t = self.branch3x3_1(x)
        u = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        p = F.max_pool2d(x, 3, 1, 1) if self.max_pool else F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
        return torch.cat([self.branch1x1(x), torch.cat([self.branch3x3_2a(t), self.branch3x3_2b(t)], 1),
                          torch.cat([self.branch3x3dbl_3a(u), self.branch3x3dbl_3b(u)], 1), self.branch_pool(p)], 1)


class FidInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = A(192, 32), A(256, 64), A(288, 64)
        self.Mixed_6a = B(288)
        self.Mixed_6b, self.Mixed_6c, self.Mixed_6d, self.Mixed_6e = C(768, 128), C(768, 160), C(768, 160), C(768, 192)
        self.Mixed_7a = D(768)
        self.Mixed_7b, self.Mixed_7c = E(1280, False), E(2048, True)

    def forward(self, x01):
        x = F.interpolate(x01, size=(SIZE, SIZE), mode='bilinear', align_corners=False)
        x = 2 * x - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, 2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, 2)
        for m in ['Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e',
                  'Mixed_7a', 'Mixed_7b', 'Mixed_7c']:
            x = getattr(self, m)(x)
        return x.mean(dim=(2, 3))


def main():
    net = FidInception().eval()
    sd = {k: formula_weights(k, tuple(v.shape)) for k, v in net.state_dict().items() if 'num_batches' not in k}
    net.load_state_dict(sd, strict=False)
    n, h, w = 2, 64, 64
    img = np.zeros((n, 3, h, w), dtype=np.float32)  # images in [-1, 1] (framework convention)
    for a in range(n):
        for c in range(3):
            for y in range(h):
                img[a, c, y, :] = 0.9 * np.sin(0.05 * (y + 1) * (c + 1) + 0.03 * np.arange(w) + a)
    with torch.no_grad():
        feats = net((torch.from_numpy(img) + 1) / 2).numpy().astype(np.float64)
    out = {'made_by': 'packages/metrics/scripts/make_inception_fixture.py', 'inputSize': SIZE, 'imageShape': [n, h, w, 3],
           'weightNames': sorted(sd.keys()), 'first64': feats[:, :64].tolist(), 'mean': feats.mean(1).tolist(),
           'l2': np.linalg.norm(feats, axis=1).tolist(), 'argmax': feats.argmax(1).tolist()}
    with open(OUT, 'w') as f:
        json.dump(out, f)
    print(json.dumps({k: out[k] for k in ['mean', 'l2', 'argmax']}))


if __name__ == '__main__':
    main()
