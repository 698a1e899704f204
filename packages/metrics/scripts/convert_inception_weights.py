#!/usr/bin/env python3
"""Convert pytorch-fid's InceptionV3 weights (pt_inception-2015-12-05-6726825d.pth, a local file you already have;
nothing is downloaded) into the safetensors file read by `InceptionV3FeatureExtractor.load` / the `inception-v3`
plugin. Names are kept (`Mixed_5b.branch1x1.conv.weight`, `...bn.running_var`, ...); the classifier `fc.*` and
`num_batches_tracked` entries are dropped.

Usage:
  /usr/bin/python3 packages/metrics/scripts/convert_inception_weights.py pt_inception-2015-12-05-6726825d.pth \
      inception-fid.safetensors
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_io import write_safetensors  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    sd = torch.load(src, map_location='cpu')
    out = {k: v.float().numpy() for k, v in sd.items() if not k.startswith('fc.') and 'num_batches_tracked' not in k}
    write_safetensors(dst, out, {'name': 'inception-v3-fid', 'source': os.path.basename(src),
                                 'converted_by': 'packages/metrics/scripts/convert_inception_weights.py'})
    print(f'wrote {dst} ({len(out)} tensors)')


if __name__ == '__main__':
    main()
