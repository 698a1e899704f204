#!/usr/bin/env python3
"""Train the small Fashion-MNIST feature network used by the `fmnist-features` extractor and export it.

Run (Debian python3-torch; about a minute on 2 cores):
    /usr/bin/python3 packages/metrics/scripts/train_fmnist_features.py

Reads the train split of /usr/share/datasets/fashion-mnist (idx .gz files), trains for EPOCHS epochs with a fixed
seed, and writes
  * packages/metrics/weights/fmnist-features.safetensors  (float32, PyTorch OIHW layout, metadata with accuracy)
  * packages/metrics/src/features/fixtures/fmnist-features.json  (first 8 test images as uint8 and the 64-d
    features torch computes for them; the TS forward pass must match within 1e-4)

Architecture (input 28x28x1 scaled to [-1, 1]):
  conv1 3x3 1->16 pad 1, ReLU, max-pool 2 -> conv2 3x3 16->32 pad 1, ReLU, max-pool 2 -> conv3 3x3 32->64 pad 1,
  ReLU -> global average pool = 64-d FEATURES -> fc 64->10 (classifier head used only for training).
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_io import write_safetensors  # noqa: E402

DATA = '/usr/share/datasets/fashion-mnist'
HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
EPOCHS = 3
SEED = 0


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class FeatureNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64, 10)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        return x.mean(dim=(2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


def to_input(u8):
    return torch.from_numpy(u8.astype(np.float32) / 255.0 * 2.0 - 1.0).unsqueeze(1)


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(2)
    xtr = read_idx('train-images-idx3-ubyte.gz')
    ytr = read_idx('train-labels-idx1-ubyte.gz').astype(np.int64)
    xte = read_idx('t10k-images-idx3-ubyte.gz')
    yte = read_idx('t10k-labels-idx1-ubyte.gz').astype(np.int64)
    net = FeatureNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    t0 = time.time()
    for epoch in range(EPOCHS):
        perm = np.random.permutation(len(xtr))
        for i in range(0, len(perm), 128):
            idx = perm[i:i + 128]
            loss = F.cross_entropy(net(to_input(xtr[idx])), torch.from_numpy(ytr[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f'epoch {epoch + 1} loss {loss.item():.4f} {time.time() - t0:.1f}s', flush=True)
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(to_input(xte[i:i + 1000])).argmax(1) for i in range(0, len(xte), 1000)])
        acc = float((pred.numpy() == yte).mean())
        print(f'test accuracy {acc:.4f}')
        arrays = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
        write_safetensors(
            os.path.join(PKG, 'weights', 'fmnist-features.safetensors'),
            arrays,
            {'name': 'fmnist-features', 'layout': 'torch-oihw', 'feature_dim': 64, 'input': '28x28x1 in [-1,1]',
             'epochs': EPOCHS, 'seed': SEED, 'test_accuracy': f'{acc:.4f}',
             'trained_by': 'packages/metrics/scripts/train_fmnist_features.py'},
        )
        sample = xte[:8]
        feats = net.features(to_input(sample)).numpy().astype(np.float64)
    fixture = {
        'made_by': 'packages/metrics/scripts/train_fmnist_features.py (torch features of the first 8 test images)',
        'images_uint8': sample.reshape(8, -1).tolist(),
        'features': feats.tolist(),
    }
    with open(os.path.join(PKG, 'src', 'features', 'fixtures', 'fmnist-features.json'), 'w') as f:
        json.dump(fixture, f)


if __name__ == '__main__':
    main()
