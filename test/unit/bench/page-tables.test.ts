// The benchmark tables of the README and the docs are the data's: generated from
// bench/results/*.json by `npm run bench:tables`, and this fails when a page and the data disagree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadResults, pagePath, pages, renderPage, type Results } from '../../../bench/page-tables.js';

const text = (page: string): string => readFileSync(pagePath(page), 'utf8');

describe('benchmark tables of the README and the docs', () => {
  it.each(Object.keys(pages))('%s: match bench/results/*.json (run `npm run bench:tables` after a bench)', (page) => {
    expect(renderPage(page, text(page), loadResults())).toBe(text(page));
  });

  it('show a changed figure: the page follows the data', () => {
    const results = loadResults();
    const changed: Results = { ...results, load: { ...results.load, calls_per_core_pcmu: 4321 }, api: { ...results.api, grants_per_s_uws: 98765 } };
    const rendered = renderPage('README.md', text('README.md'), changed);
    expect(rendered).not.toBe(text('README.md'));
    expect(rendered).toContain('**4321**');
    expect(rendered).toContain('uWS 98765/s');
  });

  it('bold the best canceller of a trace, whichever it is', () => {
    const results = loadResults();
    const echo = results.echo!.echo as { traces: Array<{ trace: string; webrtc: { erle_steady_db: number } }> };
    const [first, ...rest] = echo.traces;
    const changed: Results = { ...results, echo: { ...results.echo, echo: { ...echo, traces: [{ ...first!, webrtc: { ...first!.webrtc, erle_steady_db: 99.5 } }, ...rest] } } };
    const parley = (first as unknown as { parley: { erle_steady_db: number } }).parley.erle_steady_db;
    const rendered = renderPage('docs/echo-cancellation.md', text('docs/echo-cancellation.md'), changed);
    expect(rendered).toContain(`| ${first!.trace} | ${parley} | `);
    expect(rendered).toContain('| **99.5** |');
  });

  it('show the G.711 calls measured with the canceller off and on, and the ratio of the two', () => {
    const results = loadResults();
    const call = (off: number, on: number, ratio: number): Record<string, number> => ({ us_per_frame_canceller_off: off, us_per_frame_canceller_on: on, canceller_on_over_off: ratio, converged_calls: 9, calls: 9 });
    const pcmuCall = { conversation: call(10.25, 14.35, 1.4), bot_all_along: call(11.5, 20.7, 1.8) };
    const changed: Results = { ...results, echo: { ...results.echo, echo: { ...(results.echo!.echo as Record<string, unknown>), pcmu_call: pcmuCall } } };
    const rendered = renderPage('docs/echo-cancellation.md', text('docs/echo-cancellation.md'), changed);
    expect(rendered).toContain('| 10.25 / 14.35 | **1.40** |');
    expect(rendered).toContain('| 11.5 / 20.7 | 1.80 |');
  });

  it('refuse to render a table whose figure is missing from the results', () => {
    const results = loadResults();
    const { e2e_over_media_cpu: _dropped, ...load } = results.load!;
    expect(() => renderPage('README.md', text('README.md'), { ...results, load })).toThrow(/load\.e2e_over_media_cpu/);
  });

  it.each(Object.entries(pages).flatMap(([page, tables]) => Object.keys(tables).map((name) => [page, name])))('%s: %s sits between its markers', (page, name) => {
    expect(text(page)).toContain(`<!-- bench-table:${name} -->`);
    expect(text(page)).toContain(`<!-- /bench-table:${name} -->`);
  });
});
