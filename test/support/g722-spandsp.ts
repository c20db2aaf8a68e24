// G.722 encode/decode for tests through spandsp (libspandsp-dev, in test/setup/install-deps.sh):
// a reference independent of Parley's own codec. G.722 is stateful, so whole streams go through
// at once. The helper is compiled once per source version into the temp directory.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const source = join(import.meta.dirname, 'g722-spandsp.c');

function helper(): string {
  const hash = createHash('sha1').update(readFileSync(source)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'parley-test-tools');
  const binary = join(dir, `g722-spandsp-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('cc', ['-O2', '-o', binary, source, '-lspandsp']);
  }
  return binary;
}

export function encodeG722(pcm16k: Int16Array): Uint8Array {
  return execFileSync(helper(), ['encode'], { input: Buffer.from(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength), maxBuffer: 64 << 20 });
}

export function decodeG722(codes: Uint8Array): Int16Array {
  const out = execFileSync(helper(), ['decode'], { input: codes, maxBuffer: 64 << 20 });
  const samples = new Int16Array(out.length >> 1);
  Buffer.from(samples.buffer).set(out.subarray(0, samples.length * 2));
  return samples;
}
