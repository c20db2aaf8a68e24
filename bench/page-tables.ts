// `npm run bench:tables`: rewrites the benchmark tables of the README and the docs from
// bench/results/*.json, so no page disagrees with the data (test/unit/bench/page-tables.test.ts
// fails when one does). Each table sits between `<!-- bench-table:NAME -->` and
// `<!-- /bench-table:NAME -->`; only what is between the markers is replaced, the prose around
// them is the page's own.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FRAME_MS } from '../engine/media/frame.js';

export type Results = Record<string, Record<string, unknown>>;

const benchDir = fileURLToPath(new URL('.', import.meta.url));
export const resultsDir = join(benchDir, 'results');
const rootDir = join(benchDir, '..');

export class MissingResultError extends Error {
  constructor(path: string) {
    super(`bench/results has no ${path}: run the suite that writes it (npm run bench -- <suite>), then npm run bench:tables`);
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
// Issue 17's goal for the barge-in decision, shown in two tables.
const BARGE_IN_DECISION_GOAL = '≤ 160 ms';
// Issue 17's: a call's CPU with the echo canceller over the same call's without it.
const ECHO_CPU_GOAL = '≤ 1.5';
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
        `stopband ${n('codecs.resampler_stopband_db')} dB, ripple ${fixed(n('codecs.resampler_passband_ripple_db'), 3)} dB, delay ${fixed(n('codecs.resampler_delay_ms'), 2)} ms, ${fixed(n('codecs.resampler_48k_16k_frame_us'), 1)} µs/frame; 8 ↔ 16 kHz both ways (a G.711 call) ${fixed(n('codecs.resampler_8k_16k_both_ways_frame_us'), 1)} µs/frame`,
        '—',
        '(≥ 60 dB, ≤ 2 ms)',
      ],
      ['bot connector, 16 kHz, per frame both ways, echo bot in-process (`bot`)', `${n('bot.connector_cpu_us_per_frame')} µs`, `bare \`ws\` loop ${n('bot.raw_ws_cpu_us_per_frame')} µs`, `${fixed(n('bot.connector_over_raw_ws'), 2)}`],
      ['Twilio connector, same (`bot`)', `${n('bot.twilio_connector_cpu_us_per_frame')} µs`, `bare \`ws\` loop ${n('bot.raw_ws_cpu_us_per_frame')} µs`, `${fixed(n('bot.twilio_connector_over_raw_ws'), 2)}`],
      [
        `node CPU per PCMU call-second, end to end, ${n('load.pair_calls')} calls (\`load\`)`,
        `Parley bot ${n('load.cpu_us_per_call_second_pcmu_e2e')} µs · Twilio bot ${n('load.cpu_us_per_call_second_pcmu_e2e_twilio')} µs`,
        `media only ${n('load.cpu_us_per_call_second_pcmu_media_pair')} µs · at the Twilio bot's 8 kHz ${n('load.cpu_us_per_call_second_pcmu_media_pair_twilio_rate')} µs`,
        `${ratio(r, 'load.e2e_over_media_cpu')} · ${ratio(r, 'load.e2e_twilio_over_media_cpu')} (≤ 1.5)`,
      ],
      ['session grants (`api`)', `uWS ${n('api.grants_per_s_uws')}/s`, `node:http ${n('api.grants_per_s_node_http')}/s`, `${fixed(n('api.uws_over_node_http'), 2)}`],
      ['barge-in decision, speech onset → queue flushed (`vad`)', `${n('vad.bargein_decision_ms')} ms worst case`, `minimum speech ${n('vad.bargein_min_speech_ms')} ms`, `(${BARGE_IN_DECISION_GOAL})`],
    ],
  );
}

// The goals a load run missed, by key (`goals_failed`), or that it met them all.
function goalsFailed(r: Results): string {
  const failed = z.array(z.string()).parse(at(r, 'load.goals_failed'));
  return failed.length === 0 ? 'none' : failed.map((key) => `\`${key}\``).join(', ');
}

// Cores a load step's workers could have, or why the bench could not say.
function cores(r: Results, key: string): string {
  const value = at(r, `load.${key}`);
  return typeof value === 'number' ? fixed(value, 2) : 'not measured';
}

function capacityTable(r: Results): string {
  const n = (key: string): number => num(r, `load.${key}`);
  const row = (key: string, what: string, value: string | number, goal = '—'): string[] => [`\`${key}\``, what, String(value), goal];
  // The realtime rows measured without the priority (the bench had no CAP_SYS_NICE) say so.
  const notGranted = at(r, 'load.realtime_priority_granted') === true ? '' : ' (the priority was not granted in every step)';
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
      row('echo_on_over_off_cpu', `media-only CPU per call-second with echo cancellation on over off, ${n('pair_calls')} calls each (issue 17)`, ratio(r, 'load.echo_on_over_off_cpu'), ECHO_CPU_GOAL),
      row('engine_latency_p99_us_10_calls', 'frame due → handed to its bot, 10 calls', n('engine_latency_p99_us_10_calls')),
      row('engine_latency_p99_us_at_50pct', 'the same end to end at 50 % of capacity', `**${n('engine_latency_p99_us_at_50pct')}**`, '≤ 5000'),
      row('engine_latency_p99_us_at_80pct', 'the same end to end at 80 % of capacity', `**${n('engine_latency_p99_us_at_80pct')}**`, '≤ 5000'),
      row('capacity_beside_hog_over_quiet', `media-only capacity beside a niced CPU hog (${n('calls_per_core_pcmu_beside_hog')} calls) over quiet`, ratio(r, 'load.capacity_beside_hog_over_quiet'), '≥ 0.75'),
      row('calls_per_node_pcmu_1_worker', 'PCMU calls per node, one media worker (PARLEY_MEDIA_WORKERS=1)', n('calls_per_node_pcmu_1_worker')),
      row('calls_per_node_pcmu_n_workers', `PCMU calls per node, ${n('workers')} media workers`, n('calls_per_node_pcmu_n_workers')),
      row('worker_scaling_efficiency', `${n('workers')} workers over ${n('workers')} × one`, ratio(r, 'load.worker_scaling_efficiency'), '≥ 0.85'),
      row(
        'worker_scaling_efficiency_on_available_cores',
        `the same, each capacity over the cores its workers could have (the machine's less what the generator, control plane and others kept busy: ${cores(r, 'cores_for_workers_1_worker')} with one worker, ${cores(r, 'cores_for_workers_n_workers')} with ${n('workers')}; above 1 when the lone worker could not use all of its core)`,
        ratio(r, 'load.worker_scaling_efficiency_on_available_cores'),
      ),
      row(
        'worker_scaling_efficiency_realtime',
        `the same with each worker's event loop at a realtime priority (PARLEY_MEDIA_WORKER_REALTIME_PRIORITY): ${n('calls_per_node_pcmu_n_workers_realtime')} calls with ${n('workers')} workers, ${n('calls_per_node_pcmu_1_worker_realtime')} with one${notGranted}`,
        ratio(r, 'load.worker_scaling_efficiency_realtime'),
      ),
      row('engine_latency_p99_us_at_80pct_realtime', `engine latency p99 at 80 % of capacity (the same calls), the worker at a realtime priority${notGranted}`, n('engine_latency_p99_us_at_80pct_realtime')),
      row(
        'capacity_beside_hog_over_quiet_realtime',
        `capacity beside the niced CPU hog over quiet, the worker at a realtime priority (${n('calls_per_core_pcmu_beside_hog_realtime')} calls against ${n('calls_per_node_pcmu_1_worker_realtime')})${notGranted}`,
        ratio(r, 'load.capacity_beside_hog_over_quiet_realtime'),
      ),
      row('calls_per_core_opus', 'Opus calls per core (complexity 5, coded at 16 kHz)', n('calls_per_core_opus')),
      row('opus_over_ceiling', `Opus capacity over the ceiling (${n('opus_ceiling_calls_per_core')} calls: raw libopus at ${n('opus_ceiling_rate_hz') / 1000} kHz)`, `**${fixed(n('opus_over_ceiling'), 2)}**`, '≥ 0.8'),
      row('cpu_us_per_call_second_opus', 'worker CPU per Opus call-second at capacity', n('cpu_us_per_call_second_opus')),
      row('kernel_share_of_cpu_pcmu', "kernel's share of the PCMU worker's CPU", fixed(n('kernel_share_of_cpu_pcmu'), 2)),
      row('goals_failed', "the issue's goals this run missed", goalsFailed(r)),
      row('cpu_available_share_before', 'share of one core a spinning process got as the run began (1 on an idle machine): the capacities above are bounded by it', `${fixed(n('cpu_available_share_before'), 2)} (after: ${fixed(n('cpu_available_share_after'), 2)})`),
    ],
  );
}

// One schema for both jitter tables: the README's (the buffer against the fixed ones) and
// docs/benchmarks.md's (time stretching against whole frames).
const jitterQuality = ['late_loss_pct', 'mean_delay_ms', 'p95_delay_ms', 'whole_frame_changes_per_min', 'log_spectral_distance_db', 'clicks_per_min'] as const;
const fixedBuffer = numbers('late_loss_pct', 'mean_delay_ms', 'p95_delay_ms');
const jitterTraces = z.array(
  numbers(...jitterQuality, 'concealed_pct').extend({ name: z.string(), previous: numbers(...jitterQuality), fixed60: fixedBuffer, fixed120: fixedBuffer }),
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

const decision = numbers('mean', 'max');
const interruptions = numbers('recall', 'mean_ms', 'max_ms', 'fired_before_onset');
const undecided = decision.extend({ undecided: z.number() });
const noiseRows = z.array(numbers('level_dbfs', 'false_bargeins_per_min', 'false_bargeins_per_min_after_caller_turn').extend({ noise: z.string() }));
const cancelledGrid = numbers('cases', 'goal_ms', 'over_goal', 'undecided', 'median_ms', 'max_ms');
const guardRows = z.array(numbers('echo_gain_db', 'echo_delay_ms', 'false_bargeins_per_min', 'without_guard_per_min'));

// Barge-in: how fast it decides, and what noise, babble and echo make it do on their own.
function bargeInTable(r: Results): string {
  const decisions = z
    .object({ clean: decision, white_10db: decision, clean_over_echo_minus10db_100ms: decision, clean_over_echo_minus10db_100ms_canceller: undecided })
    .parse(at(r, 'vad.bargein_decision'));
  const babble = z.object({ first_answer: interruptions, after_caller_turn: interruptions }).parse(at(r, 'vad.babble_10db_interruptions'));
  const noise = noiseRows.parse(at(r, 'vad.background_noise_bargeins.rows'));
  const guard = guardRows.parse(at(r, 'vad.echo_guard.rows'));
  const babbleRow = noise.find((row) => row.noise === 'babble');
  if (babbleRow === undefined) throw new MissingResultError('vad.background_noise_bargeins.rows[babble]');
  const steady = noise.filter((row) => row.noise !== 'babble');
  const span = (values: number[]): string => (Math.min(...values) === Math.max(...values) ? `${values[0]}` : `${Math.min(...values)} to ${Math.max(...values)}`);
  const found = (run: z.infer<typeof interruptions>): string =>
    `recall ${fixed(run.recall, 2)}, decided in ${run.mean_ms} ms mean, ${run.max_ms} ms max; fired on the babble before the caller spoke: ${run.fired_before_onset}`;
  const cancelled = decisions.clean_over_echo_minus10db_100ms_canceller;
  const grid = cancelledGrid.parse(at(r, 'vad.cancelled_echo_grid'));
  return table(
    ['measured (`npm run bench -- vad`)', 'Parley', 'goal'],
    [
      ['decision, speech onset → queue flushed: clean speech over the bot, mean / max', `${decisions.clean.mean} / **${decisions.clean.max}** ms`, BARGE_IN_DECISION_GOAL],
      ['the same at 10 dB white noise', `${decisions.white_10db.mean} / ${decisions.white_10db.max} ms`, '—'],
      ['the same over a −10 dB, 100 ms echo of the bot (no canceller)', `${decisions.clean_over_echo_minus10db_100ms.mean} / ${decisions.clean_over_echo_minus10db_100ms.max} ms`, '—'],
      ['the same with the echo canceller on, 4 s into the bot\'s answer (never decided)', `${cancelled.mean} / ${cancelled.max} ms (${cancelled.undecided})`, '—'],
      [
        `the same over ${grid.cases} cases (utterances × −6/−10 dB echo paths of 40–300 ms × 3–7 s into the answer): over ${grid.goal_ms} ms (never decided), median / max`,
        `${grid.over_goal} (${grid.undecided}), ${grid.median_ms} / ${grid.max_ms} ms`,
        `0 over ${grid.goal_ms} ms`,
      ],
      [`babble at ${babbleRow.level_dbfs} dBFS (10 dB under the caller), false barge-ins a minute: the bot's first answer / after the caller's turn`, `**${babbleRow.false_bargeins_per_min}** / ${babbleRow.false_bargeins_per_min_after_caller_turn}`, '≤ 3'],
      ["real interruptions over that babble, the bot's first answer", found(babble.first_answer), 'recall ≥ 0.95'],
      ["the same after the caller's turn", found(babble.after_caller_turn), 'recall ≥ 0.95'],
      [`${steady.map((row) => row.noise).join(' and ')} noise, false barge-ins a minute`, span(steady.flatMap((row) => [row.false_bargeins_per_min, row.false_bargeins_per_min_after_caller_turn])), '—'],
      [`the bot's echo alone (${span(guard.map((row) => row.echo_gain_db))} dB, ${span(guard.map((row) => row.echo_delay_ms))} ms), false barge-ins a minute with the echo guard (without)`, `**${span(guard.map((row) => row.false_bargeins_per_min))}** (${span(guard.map((row) => row.without_guard_per_min))})`, '0'],
    ],
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

// Time stretching (new) against whole-frame adaptation (previous) and the fixed buffers.
function jitterQualityTable(r: Results): string {
  const traces = jitterTraces.parse(at(r, 'jitter.traces'));
  const cpu = numbers('new_us_per_call_second', 'previous_us_per_call_second', 'ratio').parse(at(r, 'jitter.cpu_per_call_second'));
  const day = z.string().parse(at(r, 'jitter.measured_at')).slice(0, 10);
  const caption = `Time stretching against whole frames (run of ${day}; CPU ${cpu.new_us_per_call_second} against ${cpu.previous_us_per_call_second} µs per call-second, ratio ${fixed(cpu.ratio, 2)}):`;
  return `${caption}\n\n${table(
    ['trace', 'late loss % new / previous / fixed 60 / fixed 120', 'mean delay ms (same order)', 'p95 delay ms (same order)', 'whole-frame changes/min new / previous', 'LSD dB new / previous', 'clicks/min new / previous'],
    traces.map((t) => {
      const four = (key: 'late_loss_pct' | 'mean_delay_ms' | 'p95_delay_ms'): string => [t[key], t.previous[key], t.fixed60[key], t.fixed120[key]].join(' / ');
      const two = (key: 'whole_frame_changes_per_min' | 'log_spectral_distance_db' | 'clicks_per_min'): string => `${t[key]} / ${t.previous[key]}`;
      return [t.name, four('late_loss_pct'), four('mean_delay_ms'), four('p95_delay_ms'), two('whole_frame_changes_per_min'), two('log_spectral_distance_db'), two('clicks_per_min')];
    }),
  )}`;
}

const echoRun = z.object({ erle_steady_db: z.number(), convergence_ms: z.number().nullable(), echo_vad_onsets_per_min_after_5s: z.number(), us_per_frame: z.number() });
const doubleTalk = { caller_snr_db: z.number().optional(), caller_vad_recall: z.number().optional() };
const echoTraces = z.array(
  z.object({
    trace: z.string(),
    rate_hz: z.number(),
    double_talk: z.boolean(),
    none: z.object({ echo_vad_onsets_per_min_after_5s: z.number(), ...doubleTalk }),
    parley: echoRun.extend(doubleTalk),
    speex: echoRun.extend(doubleTalk),
    webrtc: echoRun.extend(doubleTalk),
  }),
);
const echoCancellers = ['parley', 'speex', 'webrtc'] as const;

function echoErleTable(r: Results): string {
  const traces = echoTraces.parse(at(r, 'echo.echo.traces'));
  return table(
    ['trace', 'ERLE Parley dB', 'Speex', 'WebRTC', 'convergence ms Parley / Speex / WebRTC', 'VAD onsets/min Parley / Speex / WebRTC (none)'],
    traces.map((t) => {
      const best = Math.max(...echoCancellers.map((name) => t[name].erle_steady_db));
      const erle = echoCancellers.map((name) => (t[name].erle_steady_db === best ? `**${best}**` : `${t[name].erle_steady_db}`));
      const convergence = echoCancellers.map((name) => t[name].convergence_ms ?? '—').join(' / ');
      const onsets = echoCancellers.map((name) => t[name].echo_vad_onsets_per_min_after_5s).join(' / ');
      return [t.trace, ...erle, convergence, `${onsets} (${t.none.echo_vad_onsets_per_min_after_5s})`];
    }),
  );
}

// The caller's SNR and VAD recall during double talk: with no canceller, and after each.
function echoDoubleTalkTable(r: Results): string {
  const traces = echoTraces.parse(at(r, 'echo.echo.traces')).filter((t) => t.double_talk);
  const cell = (run: { caller_snr_db?: number; caller_vad_recall?: number }, trace: string): string => {
    if (run.caller_snr_db === undefined || run.caller_vad_recall === undefined) throw new MissingResultError(`echo.echo.traces[${trace}] caller_snr_db and caller_vad_recall`);
    return `${run.caller_snr_db} dB / ${fixed(run.caller_vad_recall, 3)}`;
  };
  return table(
    ['trace', 'no canceller', 'Parley', 'Speex', 'WebRTC'],
    traces.map((t) => [t.trace, cell(t.none, t.trace), `**${cell(t.parley, t.trace)}**`, cell(t.speex, t.trace), cell(t.webrtc, t.trace)]),
  );
}

// A whole G.711 call with the canceller off and on, measured side by side (bench/echo/pcmu-call-cpu.ts).
const pcmuCall = numbers('us_per_frame_canceller_off', 'us_per_frame_canceller_on', 'canceller_on_over_off');

// CPU per 20 ms frame at 8 kHz: each canceller alone (the references' means over the same 8 kHz
// traces), and Parley's G.711 calls without and with it.
function echoCpuTable(r: Results): string {
  const n = (key: string): number => num(r, `echo.echo.${key}`);
  const call = (row: string): z.infer<typeof pcmuCall> => pcmuCall.parse(at(r, `echo.echo.pcmu_call.${row}`));
  // The load bench counts per call-second.
  const perFrame = (key: string): number => (num(r, `load.${key}`) * FRAME_MS) / 1000;
  const conversation = call('conversation');
  const allAlong = call('bot_all_along');
  const narrowband = echoTraces.parse(at(r, 'echo.echo.traces')).filter((t) => t.rate_hz === 8000);
  const mean = (name: 'speex' | 'webrtc'): string => fixed(narrowband.reduce((sum, t) => sum + t[name].us_per_frame, 0) / narrowband.length, 1);
  return table(
    ['8 kHz', 'canceller alone, µs per 20 ms frame', 'G.711 call, µs per frame, canceller off / on', `call with it over without (goal ${ECHO_CPU_GOAL})`],
    [
      ['Parley, in a conversation', `**${n('parley_us_per_frame_8k_conversation')}**`, `${conversation.us_per_frame_canceller_off} / ${conversation.us_per_frame_canceller_on}`, `**${fixed(conversation.canceller_on_over_off, 2)}**`],
      ['Parley, the bot talking all along', `${n('parley_us_per_frame_8k')}`, `${allAlong.us_per_frame_canceller_off} / ${allAlong.us_per_frame_canceller_on}`, fixed(allAlong.canceller_on_over_off, 2)],
      [
        `Parley, a media worker's PCMU calls with their sockets, ${num(r, 'load.pair_calls')} at once (\`load\`)`,
        '—',
        `${fixed(perFrame('cpu_us_per_call_second_pcmu_echo_pair_off'), 1)} / ${fixed(perFrame('cpu_us_per_call_second_pcmu_echo_pair_on'), 1)}`,
        ratio(r, 'load.echo_on_over_off_cpu'),
      ],
      ['Speex, the bot talking all along', mean('speex'), '—', '—'],
      ['WebRTC, the bot talking all along', mean('webrtc'), '—', '—'],
    ],
  );
}

type Render = (results: Results) => string;

// Every generated table, by the page (relative to the project's root) it sits in.
export const pages: Record<string, Record<string, Render>> = {
  'README.md': { summary: summaryTable, capacity: capacityTable, jitter: jitterTable, vad: vadTable, 'barge-in': bargeInTable, resampler: resamplerTable },
  'docs/benchmarks.md': { 'jitter-quality': jitterQualityTable },
  'docs/echo-cancellation.md': { 'echo-erle': echoErleTable, 'echo-double-talk': echoDoubleTalkTable, 'echo-cpu': echoCpuTable },
};

export const pagePath = (page: string): string => join(rootDir, page);

const marker = (name: string): { open: string; close: string } => ({ open: `<!-- bench-table:${name} -->`, close: `<!-- /bench-table:${name} -->` });

// `page`'s text with every one of its tables replaced by its rendering of `results`. Throws if a
// table's markers are missing, so a table cannot silently stop being generated.
export function renderPage(page: string, text: string, results: Results): string {
  let rendered = text;
  for (const [name, render] of Object.entries(pages[page] ?? {})) {
    const { open, close } = marker(name);
    const start = rendered.indexOf(open);
    const end = rendered.indexOf(close);
    if (start < 0 || end < start) throw new Error(`${page} has no ${open} … ${close} markers`);
    rendered = `${rendered.slice(0, start + open.length)}\n${render(results)}\n${rendered.slice(end)}`;
  }
  return rendered;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = loadResults();
  for (const page of Object.keys(pages)) {
    const text = readFileSync(pagePath(page), 'utf8');
    const updated = renderPage(page, text, results);
    if (updated !== text) writeFileSync(pagePath(page), updated);
    console.log(updated === text ? `${page}: tables already match bench/results` : `${page}: tables rewritten from bench/results`);
  }
}
