// SIPp (Debian's sip-tester) for one call from a scenario: resolves with its exit code (0: every
// expected message came) and the tail of its output for the failure message.
import { spawn } from 'node:child_process';

export function sipp(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('sipp', ['-m', '1', '-i', '127.0.0.1', '-p', '0', '-mp', '0', '-nostdin', '-timeout', '30s', '-timeout_error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output: output.slice(-3000) })));
}
