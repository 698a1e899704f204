#!/usr/bin/env python3
"""Convert the official LPIPS weights (PyTorch) into the safetensors layout read by `Lpips.load`.

You need two local files (this script downloads nothing):
  * the torchvision trunk state dict: alexnet-owt-7be5be79.pth (AlexNet) or vgg16-397923af.pth (VGG16),
    as cached by torchvision in ~/.cache/torch/hub/checkpoints/;
  * the LPIPS linear layers "v0.1": lpips/weights/v0.1/alex.pth or vgg.pth from the `lpips` package.

Usage:
  /usr/bin/python3 packages/metrics/scripts/convert_lpips_weights.py --net alex \
      --trunk alexnet-owt-7be5be79.pth --lin alex.pth --out lpips-alex.safetensors

Output tensors (float32, PyTorch layouts): features.<i>.weight|bias for the conv layers of torchvision's
`features` Sequential, and lin<l>.weight [1,C,1,1] (from `lin<l>.model.1.weight`). Metadata: net, sources.
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_io import write_safetensors  # noqa: E402

CONVS = {'alex': [0, 3, 6, 8, 10], 'vgg': [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--net', choices=['alex', 'vgg'], required=True)
    ap.add_argument('--trunk', required=True, help='torchvision alexnet/vgg16 state dict (.pth)')
    ap.add_argument('--lin', required=True, help='LPIPS v0.1 linear layers (.pth)')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    trunk = torch.load(a.trunk, map_location='cpu')
    lin = torch.load(a.lin, map_location='cpu')
    out = {}
    for i in CONVS[a.net]:
        for part in ('weight', 'bias'):
            key = f'features.{i}.{part}'
            if key not in trunk:
                sys.exit(f'{a.trunk}: missing {key}; is this the torchvision {a.net} state dict?')
            out[key] = trunk[key].float().numpy()
    for l in range(5):
        key = f'lin{l}.model.1.weight'
        if key not in lin:
            sys.exit(f'{a.lin}: missing {key}; is this an LPIPS v0.1 weights file?')
        out[f'lin{l}.weight'] = lin[key].float().numpy().astype(np.float32)
    write_safetensors(a.out, out, {'net': a.net, 'trunk': os.path.basename(a.trunk), 'lin': os.path.basename(a.lin),
                                   'converted_by': 'packages/metrics/scripts/convert_lpips_weights.py'})
    print(f'wrote {a.out} ({len(out)} tensors)')


if __name__ == '__main__':
    main()
