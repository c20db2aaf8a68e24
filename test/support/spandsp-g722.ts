// The reference G.722 the tests compare against: spandsp-g722.c linked with Debian's libspandsp,
// compiled once per test run into test-output/ (never part of the addon).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const source = fileURLToPath(new URL('./spandsp-g722.c', import.meta.url));
const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
const binary = join(outputDir, 'spandsp-g722');

function referenceBinary(): string {
  if (!existsSync(binary)) {
    mkdirSync(outputDir, { recursive: true });
    // Build beside the final name and rename, so parallel test files never run a half-written file.
    const partial = `${binary}.${process.pid}`;
    execFileSync('cc', ['-O2', '-o', partial, source, '-lspandsp']);
    renameSync(partial, binary);
  }
  return binary;
}

export function spandspEncode(pcm: Int16Array): Uint8Array {
  const input = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength); // host order: little-endian here
  return new Uint8Array(execFileSync(referenceBinary(), ['encode'], { input, maxBuffer: 64 << 20 }));
}

export function spandspDecode(codes: Uint8Array): Int16Array {
  const output = execFileSync(referenceBinary(), ['decode'], { input: codes, maxBuffer: 64 << 20 });
  return new Int16Array(output.buffer.slice(output.byteOffset, output.byteOffset + output.byteLength));
}
