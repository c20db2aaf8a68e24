// The contract between bench/run.ts and a suite's parts.
export type BenchResult = Record<string, unknown>;

export interface BenchPart {
  run(): Promise<BenchResult>;
}
