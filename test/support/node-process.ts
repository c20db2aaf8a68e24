// A Parley node as `npm start` runs it (api/main.ts under tsx), in a child process configured
// from the environment, so tests can signal it (SIGTERM, SIGINT) and read its exit code and JSON
// logs. `node --import tsx` rather than `npx tsx`: npm exec and the tsx CLI each put a process in
// between, and npm exec dies of the SIGTERM itself instead of passing it on and waiting, so the
// signal would not reach the node honestly nor its exit code come back.
import { spawn, type ChildProcess } from 'node:child_process';
import { freeTcpPort } from './free-port.js';

export interface LogLine {
  msg: string;
  time: number;
  [key: string]: unknown;
}

export class NodeProcess {
  readonly logs: LogLine[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly operatorUrl: string,
  ) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // A banner line that happens to start with a brace: not a log.
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  // Starts the node and resolves once its /healthz answers (any status: pbx and direct modes may
  // report a dependency as failing). `env` is added to this process's environment.
  static async start(env: Record<string, string>, readyTimeoutMs = 60_000): Promise<NodeProcess> {
    const apiPort = await freeTcpPort();
    const operatorPort = await freeTcpPort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      env: { ...process.env, PARLEY_LOG_LEVEL: 'info', PARLEY_API_PORT: String(apiPort), PARLEY_OPERATOR_PORT: String(operatorPort), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new NodeProcess(child, `http://127.0.0.1:${apiPort}`, `http://127.0.0.1:${operatorPort}`);
    const deadline = Date.now() + readyTimeoutMs;
    let exit: { code: number | null } | undefined;
    void node.exited.then((result) => (exit = result));
    for (;;) {
      if (exit) throw new Error(`the node exited (${exit.code}) before it was up: ${node.stderr}`);
      if (Date.now() > deadline) {
        node.kill();
        throw new Error(`the node was not up within ${readyTimeoutMs} ms: ${node.stderr}`);
      }
      const up = await fetch(`${node.operatorUrl}/healthz`).then(
        () => true,
        () => false,
      );
      if (up) return node;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  // The first log line with message `msg` (its time in ms since the epoch).
  log(msg: string): LogLine | undefined {
    return this.logs.find((line) => line.msg === msg);
  }

  get stderrTail(): string {
    return this.stderr;
  }

  // Test clean-up: a node still running after its test is killed.
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
