// binding.gyp has no glob: this lists every addon source under native/ so that adding a
// module is adding its files, not editing the build. Tests and fuzzers build separately.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const skip = new Set(['test', 'fuzz']);
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return skip.has(entry.name) ? [] : walk(path);
    return entry.name.endsWith('.cc') ? [path] : [];
  });

console.log(walk('native').sort().join(' '));
