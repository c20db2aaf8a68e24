// `npm run bench:readme`: rewrites the README's benchmark tables from bench/results/*.json, so the
// page never disagrees with the data (test/unit/bench/readme-tables.test.ts fails when it does).
// Each table sits between `<!-- bench-table:NAME -->` and `<!-- /bench-table:NAME -->`; only what
// is between the markers is replaced, the prose around them is the README's own.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type Results = Record<string, Record<string, unknown>>;

const benchDir = fileURLToPath(new URL('.', import.meta.url));
export const resultsDir = join(benchDir, 'results');
export const readmePath = join(benchDir, '..', 'README.md');

export class MissingResultError extends Error {
  constructor(path: string) {
    super(`bench/results has no ${path}: run the suite that writes it (npm run bench -- <suite>), then npm run bench:readme`);
    this.name = 'MissingResultError';
  }
}

export function loadResults(dir = resultsDir): Results {
  const results: Results = {};
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    results[file.replace(/\.json$/, '')] = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
  }
  return results;
}

// Rows of a results file: an object with these numeric keys (others ignored).
function numbers<K extends string>(...keys: K[]): z.ZodObject<Record<K, z.ZodNumber>> {
  return z.object(Object.fromEntries(keys.map((key) => [key, z.number()])) as Record<K, z.ZodNumber>);
}

// A value of the results by `suite.key.sub…`; a missing one is an error, never an empty cell.
function at(results: Results, path: string): unknown {
  const [suite, ...keys] = path.split('.');
  let value: unknown = results[suite!];
  for (const key of keys) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  if (value === undefined) throw new MissingResultError(path);
  return value;
}

// A ratio the bench could not take (null in the results, with the reason in its notes).
function ratio(results: Results, path: string): string {
  const value = at(results, path);
  if (value === null) return 'not measured';
  if (typeof value !== 'number') throw new MissingResultError(`${path} as a number`);
  return `**${value.toFixed(2)}**`;
}

function num(results: Results, path: string): number {
  const value = at(results, path);
  if (typeof value !== 'number') throw new MissingResultError(`${path} as a number`);
  return value;
}

// Fixed decimals, as the README shows them.
const fixed = (value: number, digits: number): string => value.toFixed(digits);
const table = (header: string[], rows: string[][]): string =>
  [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

function summaryTable(r: Results): string {
  const n = (path: string): number => num(r, path);
  return table(
    ['measured (`npm run bench -- …`)', 'Parley', 'reference, same run', 'ratio (goal)'],
    [
      [
        'Opus enc+dec, 20 ms, complexity 5, speech (`codecs`)',
        `${n('codecs.opus_addon_us_per_frame')} µs`,
        `raw libopus from C ${n('codecs.opus_raw_c_us_per_frame')} µs · \`@discordjs/opus\` ${n('codecs.opus_discordjs_us_per_frame')} µs`,
        `**${fixed(n('codecs.opus_addon_over_raw_c'), 2)}** (≤ 1.10)${at(r, 'codecs.opus_addon_bitstream_matches_raw_c') === true ? ', identical bitstream' : ', bitstream differs'}`,
      ],
      [
        'G.711 µ-law enc+dec, 100 frames per call (`codecs`)',
        `${fixed(n('codecs.g711_addon_frames_per_s') / 1e6, 2)} M frames/s`,
        `\`alawmulaw\` ${fixed(n('codecs.g711_alawmulaw_frames_per_s') / 1e6, 2)} M frames/s`,
        `**${n('codecs.g711_addon_over_alawmulaw')}** (≥ 10)`,
      ],
      ['Opus 48 kHz → PCMU → Opus, per 20 ms frame (`codecs`)', `${n('codecs.transcode_opus48k_pcmu_roundtrip_us')} µs`, '—', `${n('codecs.transcode_opus48k_pcmu_roundtrip_cpu_pct_per_call')} % of a core per call`],
      ['G.722 enc+dec per 20 ms frame (`codecs`)', `${n('codecs.g722_native_encode_decode_us')} µs`, `libspandsp ${n('codecs.g722_spandsp_encode_decode_us')} µs`, `${n('codecs.g722_native_over_spandsp')}`],
      [
        'resampler 48→16 kHz (`codecs`)',
        `stopband ${n('codecs.resampler_stopband_db')} dB, ripple ${fixed(n('codecs.resampler_passband_ripple_db'), 3)} dB, delay ${fixed(n('codecs.resampler_delay_ms'), 2)} ms, ${fixed(n('codecs.resampler_48k_16k_frame_us'), 1)} µs/frame`,
        '—',
        '(≥ 60 dB, ≤ 2 ms)',
      ],
      ['bot connector, 16 kHz, per frame both ways, echo bot in-process (`bot`)', `${n('bot.connector_cpu_us_per_frame')} µs`, `bare \`ws\` loop ${n('bot.raw_ws_cpu_us_per_frame')} µs`, `${fixed(n('bot.connector_over_raw_ws'), 2)}`],
      ['Twilio connector, same (`bot`)', `${n('bot.twilio_connector_cpu_us_per_frame')} µs`, `bare \`ws\` loop ${n('bot.raw_ws_cpu_us_per_frame')} µs`, `${fixed(n('bot.twilio_connector_over_raw_ws'), 2)}`],
      [
        `node CPU per PCMU call-second, end to end, ${n('load.pair_calls')} calls (\`load\`)`,
        `Parley bot ${n('load.cpu_us_per_call_second_pcmu_e2e')} µs · Twilio bot ${n('load.cpu_us_per_call_second_pcmu_e2e_twilio')} µs`,
        `media only ${n('load.cpu_us_per_call_second_pcmu_media_pair')} µs`,
        `${ratio(r, 'load.e2e_over_media_cpu')} · ${ratio(r, 'load.e2e_twilio_over_media_cpu')} (≤ 1.5)`,
      ],
      ['session grants (`api`)', `uWS ${n('api.grants_per_s_uws')}/s`, `node:http ${n('api.grants_per_s_node_http')}/s`, `${fixed(n('api.uws_over_node_http'), 2)}`],
      ['barge-in decision, speech onset → queue flushed (`vad`)', `${n('vad.bargein_decision_ms')} ms worst case`, `minimum speech ${n('vad.bargein_min_speech_ms')} ms`, '(≤ 160 ms)'],
    ],
  );
}

// The goals a load run missed, by key (`goals_failed`), or that it met them all.
function goalsFailed(r: Results): string {
  const failed = z.array(z.string()).parse(at(r, 'load.goals_failed'));
  return failed.length === 0 ? 'none' : failed.map((key) => `\`${key}\``).join(', ');
}

function capacityTable(r: Results): string {
  const n = (key: string): number => num(r, `load.${key}`);
  const row = (key: string, what: string, value: string | number, goal = '—'): string[] => [`\`${key}\``, what, String(value), goal];
  return table(
    ['key', 'what', 'value', 'goal'],
    [
      row('calls_per_core_pcmu', 'PCMU calls one media worker carries, media only (8 kHz leg, 16 kHz bot, echo cancellation on: the default)', `**${n('calls_per_core_pcmu')}**`, '≥ 1500'),
      row('calls_per_core_pcmu_echo_off', 'the same with echo cancellation off', n('calls_per_core_pcmu_echo_off')),
      row('calls_per_core_e2e_pcmu', 'the same, each call with its bot over a WebSocket to a bot process', `**${n('calls_per_core_e2e_pcmu')}**`),
      row('cpu_us_per_call_second_pcmu', `worker CPU per call-second, media only, at capacity (echo cancellation off: ${n('cpu_us_per_call_second_pcmu_echo_off')})`, n('cpu_us_per_call_second_pcmu')),
      row('control_cpu_us_per_call_second_pcmu', "the control plane's CPU per call-second beside it (worker IPC)", n('control_cpu_us_per_call_second_pcmu')),
      row('e2e_over_media_cpu', `end-to-end over media-only CPU per call-second, ${n('pair_calls')} calls each`, ratio(r, 'load.e2e_over_media_cpu'), '≤ 1.5'),
      row('e2e_twilio_over_media_cpu', 'the same with a Twilio Media Streams bot', ratio(r, 'load.e2e_twilio_over_media_cpu')),
      row('engine_latency_p99_us_10_calls', 'frame due → handed to its bot, 10 calls', n('engine_latency_p99_us_10_calls')),
      row('engine_latency_p99_us_at_50pct', 'the same end to end at 50 % of capacity', `**${n('engine_latency_p99_us_at_50pct')}**`, '≤ 5000'),
      row('engine_latency_p99_us_at_80pct', 'the same end to end at 80 % of capacity', `**${n('engine_latency_p99_us_at_80pct')}**`, '≤ 5000'),
      row('capacity_beside_hog_over_quiet', `media-only capacity beside a niced CPU hog (${n('calls_per_core_pcmu_beside_hog')} calls) over quiet`, ratio(r, 'load.capacity_beside_hog_over_quiet'), '≥ 0.75'),
      row('calls_per_node_pcmu_1_worker', 'PCMU calls per node, one media worker (PARLEY_MEDIA_WORKERS=1)', n('calls_per_node_pcmu_1_worker')),
      row('calls_per_node_pcmu_n_workers', `PCMU calls per node, ${n('workers')} media workers`, n('calls_per_node_pcmu_n_workers')),
      row('worker_scaling_efficiency', `${n('workers')} workers over ${n('workers')} × one`, ratio(r, 'load.worker_scaling_efficiency'), '≥ 0.85'),
      row('calls_per_core_opus', 'Opus calls per core (complexity 5, coded at 16 kHz)', n('calls_per_core_opus')),
      row('opus_over_ceiling', `Opus capacity over the ceiling (${n('opus_ceiling_calls_per_core')} calls: raw libopus at ${n('opus_ceiling_rate_hz') / 1000} kHz)`, `**${fixed(n('opus_over_ceiling'), 2)}**`, '≥ 0.8'),
      row('cpu_us_per_call_second_opus', 'worker CPU per Opus call-second at capacity', n('cpu_us_per_call_second_opus')),
      row('kernel_share_of_cpu_pcmu', "kernel's share of the PCMU worker's CPU", fixed(n('kernel_share_of_cpu_pcmu'), 2)),
      row('goals_failed', "the issue's goals this run missed", goalsFailed(r)),
      row('cpu_available_share_before', 'share of one core a spinning process got as the run began (1 on an idle machine): the capacities above are bounded by it', `${fixed(n('cpu_available_share_before'), 2)} (after: ${fixed(n('cpu_available_share_after'), 2)})`),
    ],
  );
}

const lossAndDelay = numbers('late_loss_pct', 'mean_delay_ms');
const jitterTraces = z.array(
  numbers('late_loss_pct', 'mean_delay_ms', 'p95_delay_ms', 'concealed_pct').extend({ name: z.string(), fixed60: lossAndDelay, fixed120: lossAndDelay }),
);

function jitterTable(r: Results): string {
  const traces = jitterTraces.parse(at(r, 'jitter.traces'));
  return table(
    ['trace', 'late loss %', 'mean delay ms', 'p95 delay ms', 'concealed %', 'fixed 60: late % / mean ms', 'fixed 120: late % / mean ms'],
    traces.map((t) => [t.name, `${t.late_loss_pct}`, `${t.mean_delay_ms}`, `${t.p95_delay_ms}`, `${t.concealed_pct}`, `${t.fixed60.late_loss_pct} / ${t.fixed60.mean_delay_ms}`, `${t.fixed120.late_loss_pct} / ${t.fixed120.mean_delay_ms}`]),
  );
}

const vadRows = z.array(numbers('snr_db', 'recall', 'precision', 'peer_recall', 'peer_precision'));

function vadTable(r: Results): string {
  const rows = vadRows.parse(at(r, 'vad.rows'));
  return table(
    ['SNR', 'recall', 'precision', 'fvad recall', 'fvad precision'],
    rows.map((row) => [`${row.snr_db} dB`, fixed(row.recall, 3), fixed(row.precision, 3), fixed(row.peer_recall, 3), fixed(row.peer_precision, 3)]),
  );
}

const resamplerPairs = z.array(numbers('passband_edge_hz', 'passband_ripple_db', 'stopband_db', 'sine_snr_db', 'sweep_snr_db', 'delay_ms').extend({ pair: z.string() }));

function resamplerTable(r: Results): string {
  const pairs = resamplerPairs.parse(at(r, 'codecs.resampler_pairs'));
  return table(
    ['pair', 'passband edge', 'ripple (dB)', 'stopband (dB)', 'sine SNR (dB)', 'sweep SNR (dB)', 'delay (ms)'],
    pairs.map((p) => {
      // The pair the node uses most (a 48 kHz Opus leg toward a 16 kHz bot) carries the goals.
      const main = p.pair === '48k->16k';
      const bold = (text: string): string => (main ? `**${text}**` : text);
      return [
        bold(p.pair.replace('->', '→')),
        `${fixed(p.passband_edge_hz / 1000, 2)} kHz`,
        bold(fixed(p.passband_ripple_db, 3)),
        `${bold(fixed(p.stopband_db, 1))}${main ? ' (goal ≥ 60)' : ''}`,
        fixed(p.sine_snr_db, 1),
        fixed(p.sweep_snr_db, 1),
        `${bold(fixed(p.delay_ms, 2))}${main ? ' (goal ≤ 2)' : ''}`,
      ];
    }),
  );
}

export const tables: Record<string, (results: Results) => string> = {
  summary: summaryTable,
  capacity: capacityTable,
  jitter: jitterTable,
  vad: vadTable,
  resampler: resamplerTable,
};

const marker = (name: string): { open: string; close: string } => ({ open: `<!-- bench-table:${name} -->`, close: `<!-- /bench-table:${name} -->` });

// The README with every table replaced by its rendering of `results`. Throws if a table's markers
// are missing, so a table cannot silently stop being generated.
export function renderReadme(readme: string, results: Results): string {
  let text = readme;
  for (const [name, render] of Object.entries(tables)) {
    const { open, close } = marker(name);
    const start = text.indexOf(open);
    const end = text.indexOf(close);
    if (start < 0 || end < start) throw new Error(`README.md has no ${open} … ${close} markers`);
    text = `${text.slice(0, start + open.length)}\n${render(results)}\n${text.slice(end)}`;
  }
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readme = readFileSync(readmePath, 'utf8');
  const updated = renderReadme(readme, loadResults());
  writeFileSync(readmePath, updated);
  console.log(updated === readme ? 'README.md tables already match bench/results' : 'README.md tables rewritten from bench/results');
}
