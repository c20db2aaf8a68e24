// baresip (Debian's package) as a real SIP phone in tests: its own config folder, SIP and RTP on
// 127.0.0.1, PCMU only, a WAV file as its microphone (`aufile`), what it hears dumped to a WAV
// file (`sndfile`), and driven over its TCP control port (`ctrl_tcp`: netstring-framed JSON
// commands and events, the same commands as its console menu: dial, hangup, sndcode).
//
//   const phone = await Baresip.start({ dir, speakWav });   // writeWavFile(speakWav, pcm8k, 8000)
//   await phone.speak(otherWav);               // switch the microphone mid-call
//   await phone.dial(`sip:7000@127.0.0.1:${sipPort}`); await phone.event('CALL_ESTABLISHED');
//   await phone.command('sndcode', '42#');     // RFC 4733 digits toward Asterisk
//   phone.events;                              // CALL_DTMF_START ... for digits it received
//   phone.heard();                             // decoded audio it received (8 kHz)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseWav, writeWav } from '../../engine/bot/demo-bot/wav.js';
import { freeTcpPort, freeUdpPort } from './free-port.js';

const START_TIMEOUT_MS = 10_000;
// A command's reply or an awaited event: bounded, so a stuck phone fails by name.
const WAIT_TIMEOUT_MS = 15_000;

export interface BaresipEvent {
  type: string;
  param?: string;
  [key: string]: unknown;
}

// 16-bit mono WAV, as aufile reads and sndfile writes.
export function writeWavFile(path: string, samples: Int16Array, sampleRateHz: number): void {
  writeFileSync(path, writeWav({ sampleRateHz, samples }));
}

export class BaresipUnavailableError extends Error {}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  private buffer = '';
  private token = 0;
  private readonly replies = new Map<string, (reply: Record<string, unknown>) => void>();
  private waiters: Array<() => void> = [];
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly control: Socket,
    readonly dir: string,
  ) {
    control.setEncoding('utf8');
    control.on('data', (text: string) => this.onData(text));
  }

  // `account`: the account line's parameters (codecs, mediaenc ...); `modules`: extra modules
  // to load (opus.so, srtp.so ...); `config`: extra config lines (`rtcp_mux yes` ...).
  static async start(options: { dir: string; speakWav: string; account?: string; modules?: string[]; config?: string[] }): Promise<Baresip> {
    if (!existsSync('/usr/bin/baresip')) throw new BaresipUnavailableError('baresip is not installed: apt-get install baresip (test/setup/install-deps.sh installs it)');
    mkdirSync(options.dir, { recursive: true });
    const controlPort = await freeTcpPort();
    // baresip listens for SIP on TCP too, at the same port: a UDP port that equals the control
    // port (free on UDP, taken on TCP by the control listener) made it exit with EADDRINUSE.
    let sipPort = await freeUdpPort();
    while (sipPort === controlPort) sipPort = await freeUdpPort();
    writeFileSync(
      join(options.dir, 'config'),
      [
        `sip_listen 127.0.0.1:${sipPort}`,
        'sip_trans_def udp',
        `ctrl_tcp_listen 127.0.0.1:${controlPort}`,
        `audio_source aufile,${options.speakWav}`,
        // No sound card: the player is aubridge (nothing reads it); sndfile dumps what was decoded.
        'audio_player aubridge,parley',
        'audio_alert aubridge,parley',
        `snd_path ${options.dir}`,
        'audio_srate 8000',
        'audio_channels 1',
        'rtp_ports 40000-40999',
        // baresip runs RTCP on every call, on the RTP port + 1 unless `rtcp_mux yes`.
        ...(options.config ?? []),
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module aubridge.so',
        'module sndfile.so',
        ...(options.modules ?? []).map((module) => `module ${module}`),
        'module_app account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        '',
      ].join('\n'),
    );
    // No registration (regint=0): Asterisk identifies the phone by its source address.
    writeFileSync(join(options.dir, 'accounts'), `<sip:phone@127.0.0.1>;regint=0;${options.account ?? 'audio_codecs=PCMU'};answermode=manual\n`);
    writeFileSync(join(options.dir, 'contacts'), '');
    const child = spawn('baresip', ['-f', options.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    // A test worker that dies (a test timeout) must not leave the phone running.
    const killOnExit = (): void => void child.kill('SIGKILL');
    process.on('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new BaresipUnavailableError(`baresip exited with ${child.exitCode}:\n${output}`);
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const attempt = connect(controlPort, '127.0.0.1');
        attempt.once('connect', () => resolve(attempt));
        attempt.once('error', () => resolve(undefined));
      });
      if (socket) {
        const phone = new Baresip(child, socket, options.dir);
        child.stdout!.on('data', (chunk: Buffer) => (phone.output = (phone.output + chunk.toString()).slice(-8000)));
        phone.output = output;
        return phone;
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new BaresipUnavailableError(`baresip opened no control port within ${START_TIMEOUT_MS} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100)); // polling the control port until it listens
    }
  }

  get log(): string {
    return this.output;
  }

  // One control command; resolves with baresip's reply.
  command(command: string, params?: string): Promise<Record<string, unknown>> {
    const token = String(++this.token);
    const json = JSON.stringify({ command, params, token });
    this.control.write(`${Buffer.byteLength(json)}:${json},`);
    return this.bounded(`the reply to ${command}`, new Promise((resolve) => this.replies.set(token, resolve)));
  }

  dial(uri: string): Promise<Record<string, unknown>> {
    return this.command('dial', uri);
  }

  // Switches the microphone to `wav` during the call (it starts with the file given to start()).
  speak(wav: string): Promise<Record<string, unknown>> {
    return this.command('ausrc', `aufile,${wav}`);
  }

  // Resolves with the first event of `type` (already received or next).
  event(type: string): Promise<BaresipEvent> {
    const wait = async (): Promise<BaresipEvent> => {
      for (;;) {
        const found = this.events.find((event) => event.type === type);
        if (found) return found;
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    };
    return this.bounded(`the event ${type}`, wait());
  }

  private bounded<T>(what: string, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`baresip: no ${what} within ${WAIT_TIMEOUT_MS} ms; events ${this.events.map((event) => event.type).join(', ')}; log:\n${this.output}`)), WAIT_TIMEOUT_MS);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  // Everything baresip decoded from the call (sndfile's dump of the receive direction), as mono:
  // an Opus call's dump is stereo (baresip 1.0 decodes opus/48000/2 as two channels), which sox
  // mixes down. Empty while the dump is not there or not readable yet.
  heard(): Int16Array {
    const dump = readdirSync(this.dir).find((name) => name.startsWith('dump-') && name.endsWith('-dec.wav'));
    if (!dump) return new Int16Array(0);
    const wav = readFileSync(join(this.dir, dump));
    if (wav.length < 44 || wav.readUInt16LE(22) === 1) return parseWav(wav).samples;
    const mono = join(this.dir, 'heard-mono.wav');
    try {
      execFileSync('sox', [join(this.dir, dump), '-c', '1', mono]);
    } catch {
      return new Int16Array(0);
    }
    return parseWav(readFileSync(mono)).samples;
  }

  async stop(): Promise<void> {
    this.control.destroy();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  private onData(text: string): void {
    this.buffer += text;
    // Netstrings: <length>:<json>,
    for (;;) {
      const colon = this.buffer.indexOf(':');
      if (colon < 0) return;
      const length = Number(this.buffer.slice(0, colon));
      if (this.buffer.length < colon + 1 + length + 1) return;
      const message = JSON.parse(this.buffer.slice(colon + 1, colon + 1 + length)) as Record<string, unknown>;
      this.buffer = this.buffer.slice(colon + 1 + length + 1);
      if (message.response && typeof message.token === 'string') {
        this.replies.get(message.token)?.(message);
        this.replies.delete(message.token);
      } else if (message.event) {
        this.events.push(message as BaresipEvent);
        const waiters = this.waiters;
        this.waiters = [];
        for (const waiter of waiters) waiter();
      }
    }
  }
}
