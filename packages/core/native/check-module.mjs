// Fails the build unless a module can run inside another module's memory: no data segments and no start function
// (they would write at addresses fixed at link time), its memory imported, its stack pointer exported.
// usage: node check-module.mjs file.wasm
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const bytes = readFileSync(file);
const names = { 8: 'start', 11: 'data', 12: 'data count' };
const found = [];
for (let p = 8; p < bytes.length; ) {
  const id = bytes[p++];
  let size = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[p++];
    size += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  if (names[id]) found.push(names[id]);
  p += size;
}
if (found.length > 0) {
  console.error(`${file}: has a ${found.join(' and a ')} section; keep constants out of memory (no static arrays)`);
  process.exit(1);
}
