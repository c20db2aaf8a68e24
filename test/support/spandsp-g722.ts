// The reference G.722 the tests (and the ARI double) code with: spandsp-g722.c linked with Debian's
// libspandsp (libspandsp-dev, in test/setup/install-deps.sh), an implementation independent of
// Parley's, compiled once per source version into test-output/ (never part of the addon). G.722
// is stateful, so whole streams go through at once.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const source = fileURLToPath(new URL('./spandsp-g722.c', import.meta.url));
const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));

function referenceBinary(): string {
  const hash = createHash('sha1').update(readFileSync(source)).digest('hex').slice(0, 12);
  const binary = join(outputDir, `spandsp-g722-${hash}`);
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
