// `npm run bench -- <suite>…`: each suite is a folder of bench/ whose `*.bench.ts` parts each
// export `run(): Promise<BenchResult>`; a suite's parts run in one process, one after another,
// and their keys are merged into bench/results/<suite>.json. With no suite named, all run.
import { cpus } from 'node:os';
import { mkdirSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { BenchPart, BenchResult } from './bench-part.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(benchDir, 'results');

function suites(): string[] {
  return readdirSync(benchDir)
    .filter((name) => name !== 'results' && !name.startsWith('.') && statSync(join(benchDir, name)).isDirectory())
    .filter((name) => readdirSync(join(benchDir, name)).some((file) => file.endsWith('.bench.ts')))
    .sort();
}

async function runSuite(suite: string): Promise<void> {
  const dir = join(benchDir, suite);
  const parts = readdirSync(dir).filter((file) => file.endsWith('.bench.ts')).sort();
  if (parts.length === 0) throw new Error(`bench suite "${suite}" has no *.bench.ts parts (known: ${suites().join(', ')})`);
  const merged: BenchResult = {};
  for (const part of parts) {
    const started = performance.now();
    const module = (await import(pathToFileURL(join(dir, part)).href)) as BenchPart;
    const result = await module.run();
    Object.assign(merged, result);
    console.log(`[${suite}] ${part} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  mkdirSync(resultsDir, { recursive: true });
  const output = {
    suite,
    measured_at: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    ...merged,
  };
  const file = join(resultsDir, `${suite}.json`);
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`[${suite}] wrote ${file}`);
  console.log(JSON.stringify(merged, null, 2));
}

const requested = process.argv.slice(2);
for (const suite of requested.length > 0 ? requested : suites()) await runSuite(suite);
