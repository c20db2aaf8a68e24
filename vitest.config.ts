import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real third-party processes (Asterisk, baresip, Janus, Chromium) share two loaded cores with
    // the whole suite; a test that fails is run once more, and vitest names every retried test in
    // its report. A deterministic failure still fails both times.
    retry: 1,
  },
});
