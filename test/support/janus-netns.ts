// A real Janus (Debian's janus 1.1.2) for direct-mode tests. Janus gathers no ICE candidates on
// loopback, so it runs in a network namespace of its own, joined to this one by a veth pair:
// 198.18.0.1 here (Parley's SIP endpoint, RTP and the TURN relay bind to it), 198.18.0.2 in the
// namespace (Janus's WebSocket API, SIP and ICE). 198.18.0.0/15 is the benchmarking range (RFC
// 2544): nothing leaves this machine. Everything is torn down in stop(), also after a failure.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HOST_ADDRESS = '198.18.0.1';
export const JANUS_ADDRESS = '198.18.0.2';
export const JANUS_TOKEN_SECRET = 'janus-test-token-secret'; // as in test/fixtures/janus/janus.jcfg
const HOST_LINK = 'parley-h0';
const JANUS_LINK = 'parley-j0'; // janus.jcfg's ice_enforce_list

export interface JanusInNamespace {
  url: string;
  stop(): Promise<void>;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

// Why namespaces cannot be used here (not root, no `ip`, no CAP_SYS_ADMIN), or undefined.
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the tests do not run as root';
  const probe = `parley-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    return `ip netns add failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

// The real-Janus suites cannot run without a namespace (Janus 1.1.2 gathers no ICE candidates on
// loopback): they fail, saying why and how to get one, rather than skip and pass unseen.
export function requireNamespaces(suite: string): void {
  const unavailable = namespacesUnavailable();
  if (unavailable === undefined) return;
  throw new Error(
    `${suite} needs a network namespace for Janus, and none can be made: ${unavailable}. ` +
      'Janus 1.1.2 gathers no ICE candidates on loopback, so it runs in its own namespace: run the tests as root ' +
      '(or in a container with CAP_SYS_ADMIN and CAP_NET_ADMIN) with iproute2 installed (`ip netns add` must work).',
  );
}

function removeLeftovers(namespace: string): void {
  for (const args of [['netns', 'del', namespace], ['link', 'del', HOST_LINK]]) {
    try {
      ip(...args);
    } catch {
      // not there: nothing to remove
    }
  }
}

// The namespace, links and addresses are fixed (the Janus fixture names them), so test files that
// use Janus take turns: a lock directory, created atomically, held until stop(). A lock left by a
// process that died is taken over.
const LOCK = '/tmp/parley-janus-netns.lock';

async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(`${LOCK}/pid`, String(process.pid));
      return;
    } catch {
      if (!lockHolderAlive()) {
        rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 250)); // polling the holder's release
    }
  }
}

// False only when the lock names a process that no longer exists (a pid not yet written, or a
// lock released meanwhile, counts as alive: the next round looks again).
function lockHolderAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(`${LOCK}/pid`, 'utf8'));
  } catch {
    return true;
  }
  if (!(pid > 0)) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startJanusInNamespace(outputDir: string): Promise<JanusInNamespace> {
  const namespace = 'parley-janus';
  await acquireLock();
  let janus: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    await stopJanusAndNamespace();
    rmSync(LOCK, { recursive: true, force: true });
  };
  const stopJanusAndNamespace = async (): Promise<void> => {
    if (janus && janus.exitCode === null && janus.signalCode === null) {
      const exited = new Promise((resolve) => janus!.once('exit', resolve));
      janus.kill('SIGTERM');
      const timer = setTimeout(() => janus!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    removeLeftovers(namespace);
  };
  try {
    removeLeftovers(namespace);
    ip('netns', 'add', namespace);
    ip('link', 'add', HOST_LINK, 'type', 'veth', 'peer', 'name', JANUS_LINK);
    ip('link', 'set', JANUS_LINK, 'netns', namespace);
    ip('addr', 'add', `${HOST_ADDRESS}/30`, 'dev', HOST_LINK);
    ip('link', 'set', HOST_LINK, 'up');
    ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${JANUS_ADDRESS}/30`, 'dev', JANUS_LINK);
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', JANUS_LINK, 'up');
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');

    const configs = fileURLToPath(new URL('../fixtures/janus', import.meta.url));
    mkdirSync(outputDir, { recursive: true });
    const log = createWriteStream(`${outputDir}/janus.log`);
    janus = spawn('ip', ['netns', 'exec', namespace, 'janus', '-F', configs, '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const child = janus;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer): void => {
        log.write(chunk);
        output += chunk.toString();
        // Printed once the WebSocket transport listens.
        if (output.includes('WebSockets thread started')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`janus exited with ${code}:\n${output.slice(-2000)}`)));
    });
    return { url: `ws://${JANUS_ADDRESS}:8188`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// The parts of a Parley config that point direct mode at this Janus (for tests that start a node).
export function directModeConfig(janus: JanusInNamespace): Record<string, unknown> {
  return {
    mode: 'direct',
    media: { host: HOST_ADDRESS },
    janus: { url: janus.url, tokenSecret: JANUS_TOKEN_SECRET, srtp: 'sdes_optional' },
    sip: { host: HOST_ADDRESS, port: 0, allowedSources: [`${JANUS_ADDRESS}/32`] },
  };
}

// The parts of a Parley config that send PBX mode's browsers through this Janus to `botUri` (the
// stand-in for Asterisk's bot extension). Plain RTP on the SIP leg: a PBX answering without
// a=crypto would otherwise get SRTP from Janus 1.1.2 (see docs/janus.md).
export function pbxModeConfig(janus: JanusInNamespace, botUri: string): Record<string, unknown> {
  return {
    mode: 'pbx',
    media: { host: HOST_ADDRESS },
    janus: { url: janus.url, tokenSecret: JANUS_TOKEN_SECRET, botUri, srtp: 'none' },
  };
}
