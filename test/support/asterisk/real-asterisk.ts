// A real Asterisk for one test file: its own configuration (rendered from the templates in
// test/fixtures/asterisk/) and run-time folders under a temporary folder, HTTP/ARI and PJSIP on
// 127.0.0.1 at free ports, started in the foreground as a child process and stopped with
// `core stop now` (then SIGKILL).
//
// The install comes from test/setup/asterisk.sh: Asterisk 22.10.1 built once into
// PARLEY_CACHE_DIR (default ~/.cache/parley), or an existing Asterisk 20/22 named by
// PARLEY_ASTERISK_PREFIX. When neither can be had, start() throws AsteriskUnavailableError with
// that script's message, so the test file fails saying how to get Asterisk (it never skips).
//
//   const asterisk = await RealAsterisk.start();           // beforeAll
//   asterisk.ariUrl, asterisk.ari.username/password         // for Parley's asterisk config
//   await asterisk.cli('core show channels');               // asterisk -rx over the control socket
//   await asterisk.stop();                                  // afterAll
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freeTcpPort, freeUdpPort } from '../free-port.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'asterisk');

// Modules every test relies on: a missing one (an older Asterisk, another build) fails at start
// with its name rather than as a mysterious 4xx later.
const REQUIRED_MODULES = ['chan_pjsip.so', 'chan_rtp.so', 'chan_websocket.so', 'res_ari.so', 'res_ari_channels.so', 'res_ari_bridges.so', 'app_stasis.so', 'codec_g722.so'];
const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 15_000;

export class AsteriskUnavailableError extends Error {}

export interface RealAsteriskOptions {
  // Stasis application name written into extensions.conf (default 'parley').
  app?: string;
  ariUser?: string;
  ariPassword?: string;
  // Port Parley listens on for chan_websocket client mode (websocket_client.conf `parley-media`).
  mediaWebSocketPort?: number;
  // chan_websocket.conf control_message_format: 'plain-text' (default) or 'json'.
  webSocketControlFormat?: 'plain-text' | 'json';
}

export interface AsteriskInstall {
  prefix: string;
  binary: string;
  modules: string;
  data: string;
}

let installCache: AsteriskInstall | undefined;

// Runs test/setup/asterisk.sh (which returns at once when the build is cached) and locates the
// binary and module folder under the prefix it prints.
export async function asteriskInstall(): Promise<AsteriskInstall> {
  if (installCache) return installCache;
  let prefix: string;
  try {
    const { stdout } = await run('bash', [join(repo, 'test', 'setup', 'asterisk.sh')], { maxBuffer: 1 << 20, timeout: 30 * 60_000 });
    prefix = stdout.trim().split('\n').pop() ?? '';
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new AsteriskUnavailableError(`no Asterisk for the tests:\n${stderr}`);
  }
  const binary = join(prefix, 'sbin', 'asterisk');
  const modules = ['lib/asterisk/modules', 'lib64/asterisk/modules', 'lib/x86_64-linux-gnu/asterisk/modules']
    .map((path) => join(prefix, path))
    .find((path) => existsSync(join(path, 'chan_pjsip.so')));
  if (!existsSync(binary) || modules === undefined) {
    throw new AsteriskUnavailableError(
      `PARLEY_ASTERISK_PREFIX=${prefix} has no sbin/asterisk or no modules folder with chan_pjsip.so; ` +
        'unset it to let test/setup/asterisk.sh build Asterisk 22.10.1 into PARLEY_CACHE_DIR',
    );
  }
  const missing = REQUIRED_MODULES.filter((module) => !existsSync(join(modules, module)));
  if (missing.length > 0) throw new AsteriskUnavailableError(`the Asterisk at ${prefix} lacks ${missing.join(', ')} (Asterisk 20.18+/22.8+ with these modules is needed)`);
  const data = [join(prefix, 'var', 'lib', 'asterisk'), join(prefix, 'share', 'asterisk')].find((path) => existsSync(path)) ?? prefix;
  installCache = { prefix, binary, modules, data };
  return installCache;
}

export class RealAsterisk {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  private constructor(
    readonly install: AsteriskInstall,
    // The temporary folder holding etc/ (configuration), run/, log/, sounds/ ...
    readonly dir: string,
    readonly httpPort: number,
    readonly sipPort: number,
    readonly ari: { username: string; password: string; app: string },
  ) {}

  static async start(options: RealAsteriskOptions = {}): Promise<RealAsterisk> {
    const install = await asteriskInstall();
    const dir = mkdtempSync(join(tmpdir(), 'parley-ast-'));
    const ari = { username: options.ariUser ?? 'parley', password: options.ariPassword ?? 'parley-test-secret', app: options.app ?? 'parley' };
    const asterisk = new RealAsterisk(install, dir, await freeTcpPort(), await freeUdpPort(), ari);
    for (const sub of ['etc', 'lib', 'db', 'keys', 'agi-bin', 'spool', 'run', 'log', 'sounds']) mkdirSync(join(dir, sub), { recursive: true });
    const values: Record<string, string> = {
      RUN: dir,
      MODULES: install.modules,
      DATA: install.data,
      SBIN: dirname(install.binary),
      HTTP_PORT: String(asterisk.httpPort),
      SIP_PORT: String(asterisk.sipPort),
      ARI_USER: ari.username,
      ARI_PASSWORD: ari.password,
      APP: ari.app,
      MEDIA_WS_PORT: String(options.mediaWebSocketPort ?? 9),
      WS_CONTROL_FORMAT: options.webSocketControlFormat ?? 'plain-text',
    };
    for (const name of readdirSync(fixtures).filter((file) => file.endsWith('.conf'))) {
      const text = readFileSync(join(fixtures, name), 'utf8').replace(/@([A-Z_]+)@/g, (whole, key: string) => values[key] ?? whole);
      writeFileSync(join(dir, 'etc', name), text);
    }
    try {
      await asterisk.boot();
    } catch (error) {
      await asterisk.stop();
      throw error;
    }
    return asterisk;
  }

  get ariUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get configFile(): string {
    return join(this.dir, 'etc', 'asterisk.conf');
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  // `asterisk -rx <command>` against this instance's control socket; resolves with its output.
  async cli(command: string): Promise<string> {
    const { stdout } = await run(this.install.binary, ['-C', this.configFile, '-rx', command], { timeout: CLI_TIMEOUT_MS });
    return stdout;
  }

  // An authenticated ARI request (fetch), for tests that drive Asterisk themselves.
  async ariRequest(method: string, path: string): Promise<{ status: number; body: unknown }> {
    const auth = Buffer.from(`${this.ari.username}:${this.ari.password}`).toString('base64');
    const response = await fetch(`${this.ariUrl}/ari${path}`, { method, headers: { authorization: `Basic ${auth}` } });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  // Channels and bridges Asterisk still has (what `core show channels` / `bridge show all` list).
  async leftovers(): Promise<{ channels: number; bridges: number }> {
    const channels = /(\d+) active channels?/.exec(await this.cli('core show channels count'));
    // A header line, then one line per bridge.
    const bridges = (await this.cli('bridge show all')).split('\n').slice(1).filter((line) => line.trim() !== '');
    return { channels: Number(channels?.[1] ?? NaN), bridges: bridges.length };
  }

  // Changes the ARI user's password in ari.conf and, when running, makes Asterisk use it
  // (`module reload res_ari.so`); a stopped Asterisk uses it from its next start.
  async setAriPassword(password: string): Promise<void> {
    const file = join(this.dir, 'etc', 'ari.conf');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^password = .*$/m, `password = ${password}`));
    if (this.running) await this.cli('module reload res_ari.so');
  }

  // Writes a file Asterisk can play: `name` under sounds/ (Playback(<dir>/sounds/<name>)).
  writeSound(name: string, pcm8k: Int16Array): string {
    const path = join(this.dir, 'sounds', `${name}.sln`);
    writeFileSync(path, Buffer.from(pcm8k.buffer, pcm8k.byteOffset, pcm8k.byteLength));
    return join(this.dir, 'sounds', name);
  }

  // Hard crash: SIGKILL, no cleanup on Asterisk's side.
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  // Starts again with the same configuration and ports (after kill() or stop()).
  async restart(): Promise<void> {
    if (this.running) throw new Error('Asterisk is still running');
    await this.boot();
  }

  // `core stop now`, then SIGKILL if it has not exited within STOP_TIMEOUT_MS.
  async stop(): Promise<void> {
    if (this.running) {
      await this.cli('core stop now').catch(() => undefined);
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    process.off('exit', this.killOnExit);
  }

  // Stops Asterisk and removes its folder.
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 40): string {
    const file = join(this.dir, 'log', 'messages.log');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no messages.log)';
  }

  private async boot(): Promise<void> {
    // A killed Asterisk leaves its control socket behind: it must not pass for the new one's.
    const socket = join(this.dir, 'run', 'asterisk.ctl');
    rmSync(socket, { force: true });
    const child = spawn(this.install.binary, ['-f', '-C', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    process.on('exit', this.killOnExit);
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    const fail = (what: string): never => {
      throw new AsteriskUnavailableError(`Asterisk (${this.install.binary}) ${what}\nstderr: ${stderr}\nmessages.log:\n${this.logTail()}`);
    };
    // The control socket first, then `core waitfullybooted` (every module loaded), then ARI.
    while (!existsSync(socket)) {
      if (!this.running) fail(`exited at start (code ${child.exitCode})`);
      if (Date.now() > deadline) fail(`made no control socket within ${BOOT_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (;;) {
      const booted: true | Error = await this.cli('core waitfullybooted').then(() => true as const, (error: Error) => error);
      if (booted === true) break;
      if (!this.running || Date.now() > deadline) fail(`did not finish booting: ${booted.message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const shown = await this.cli('module show');
    const notRunning = REQUIRED_MODULES.filter((module) => !new RegExp(`^${module.replace('.', '\\.')}\\s.*\\sRunning\\s`, 'm').test(shown));
    if (notRunning.length > 0) fail(`did not load ${notRunning.join(', ')} (see modules.conf and the log)`);
    for (;;) {
      const status = await this.ariRequest('GET', '/asterisk/info').then((response) => response.status, () => 0);
      // 401: ARI is up, with a password a test has changed.
      if (status === 200 || status === 401) break;
      if (!this.running) fail('exited while booting');
      if (Date.now() > deadline) fail(`answered ARI with ${status} for ${BOOT_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
