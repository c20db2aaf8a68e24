// Builds native programs (fuzz harnesses, native unit tests) with AddressSanitizer and
// UndefinedBehaviorSanitizer into build/sanitized/ (gitignored). Incremental like make: a source
// is recompiled only when it, or a header it included (from g++ -MMD), is newer than its object,
// so after the first build (a few minutes on two cores) a run costs only the link of what changed.
// Written here rather than in binding.gyp because node-gyp builds one configuration, the addon's.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
// A failed compile or link says what the build needs, with the compiler's own words.
async function run(command: string, args: string[], options: { maxBuffer: number }): Promise<void> {
  try {
    await execFileAsync(command, args, options);
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(
      `sanitized native build failed: it needs g++ with ASan/UBSan (build-essential) and libssl-dev, which ` +
        `bash test/setup/install-deps.sh installs.\n${command} ${args.slice(-3).join(' ')}\n${(stderr ?? String(error)).slice(-4000)}`,
    );
  }
}
const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
export const sanitizedDir = join(root, 'build', 'sanitized');
const opusDir = join(root, 'node_modules', '@discordjs', 'opus', 'deps', 'opus');
const flags = ['-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'];
const includes = ['-I', join(root, 'native'), '-I', join(opusDir, 'include')];

// The media core: every addon source except the N-API layer (native/gyp-sources.mjs's list).
function librarySources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return ['addon', 'fuzz', 'test'].includes(entry.name) ? [] : walk(path);
      return entry.name.endsWith('.cc') ? [path] : [];
    });
  return walk(join(root, 'native')).sort();
}

const mtime = (path: string): number => (existsSync(path) ? statSync(path).mtimeMs : -1);

function stale(object: string, source: string): boolean {
  const built = mtime(object);
  if (built < 0) return true;
  const deps = `${object.slice(0, -2)}.d`;
  if (!existsSync(deps)) return true;
  const inputs = readFileSync(deps, 'utf8').replace(/\\\n/g, ' ').split(/\s+/).slice(1).filter(Boolean);
  return [source, ...inputs].some((input) => mtime(input) > built);
}

async function compile(sources: string[]): Promise<string[]> {
  const objects = sources.map((source) => join(sanitizedDir, 'obj', `${relative(root, source)}.o`));
  const todo = sources.map((source, i) => ({ source, object: objects[i]! })).filter(({ source, object }) => stale(object, source));
  // Two at a time: the machine's cores are shared with the rest of the suite.
  const worker = async (): Promise<void> => {
    for (let job = todo.shift(); job !== undefined; job = todo.shift()) {
      mkdirSync(dirname(job.object), { recursive: true });
      // Written aside and renamed: another test file may build the same object at the same time.
      const temporary = `${job.object}.${process.pid}`;
      await run('g++', [...flags, ...includes, '-MMD', '-MF', `${temporary}.d`, '-c', job.source, '-o', temporary], { maxBuffer: 16 << 20 });
      renameSync(`${temporary}.d`, `${job.object.slice(0, -2)}.d`);
      renameSync(temporary, job.object);
    }
  };
  await Promise.all([worker(), worker()]);
  return objects;
}

// libopus as node-gyp already built it for the addon (uninstrumented, which ASan tolerates).
function opusArchive(): string {
  const archive = join(root, 'build', 'Release', 'opus.a');
  if (!existsSync(archive)) throw new Error(`${archive} is missing: build the addon first (npx node-gyp rebuild)`);
  return archive;
}

/** Builds (if stale) a program from `mainSources` plus the media core; returns its path. */
export async function buildSanitized(name: string, mainSources: string[]): Promise<string> {
  const objects = await compile([...mainSources.map((source) => join(root, source)), ...librarySources()]);
  const binary = join(sanitizedDir, 'bin', name);
  const inputs = [...objects, opusArchive()];
  if (inputs.some((input) => mtime(input) > mtime(binary))) {
    mkdirSync(dirname(binary), { recursive: true });
    await run('g++', [...flags, ...inputs, '-lcrypto', '-o', `${binary}.${process.pid}`], { maxBuffer: 16 << 20 });
    renameSync(`${binary}.${process.pid}`, binary);
  }
  return binary;
}

export const sanitizerEnv = {
  ...process.env,
  // halt_on_error: the first finding ends the run with a report; abort on a failed harness
  // check is reported like a sanitizer finding.
  ASAN_OPTIONS: 'halt_on_error=1:handle_abort=1:detect_leaks=1:allocator_may_return_null=0',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};
