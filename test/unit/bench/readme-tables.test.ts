// The README's benchmark tables are the data's: generated from bench/results/*.json by
// `npm run bench:readme`, and this fails when the page and the data disagree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadResults, readmePath, renderReadme, tables, type Results } from '../../../bench/readme-tables.js';

const readme = readFileSync(readmePath, 'utf8');

describe('README benchmark tables', () => {
  it('match bench/results/*.json (run `npm run bench:readme` after a bench)', () => {
    expect(renderReadme(readme, loadResults())).toBe(readme);
  });

  it('show a changed figure: the page follows the data', () => {
    const results = loadResults();
    const changed: Results = { ...results, load: { ...results.load, calls_per_core_pcmu: 4321 }, api: { ...results.api, grants_per_s_uws: 98765 } };
    const rendered = renderReadme(readme, changed);
    expect(rendered).not.toBe(readme);
    expect(rendered).toContain('**4321**');
    expect(rendered).toContain('uWS 98765/s');
  });

  it('refuse to render a table whose figure is missing from the results', () => {
    const results = loadResults();
    const { e2e_over_media_cpu: _dropped, ...load } = results.load!;
    expect(() => renderReadme(readme, { ...results, load })).toThrow(/load\.e2e_over_media_cpu/);
  });

  it('each sit between their markers in the README', () => {
    for (const name of Object.keys(tables)) {
      expect(readme).toContain(`<!-- bench-table:${name} -->`);
      expect(readme).toContain(`<!-- /bench-table:${name} -->`);
    }
  });
});
