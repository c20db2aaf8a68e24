// G.711 Appendix I concealment on signals, as a native program built with the sanitizers
// (G711Plc sits below the JS boundary, inside the G.711 and G.722 decoders):
// native/test/g711_plc_test.cc. The join where the signal returns after a concealment of any
// length has no step above the signal's own, nor has the concealment of a gliding vowel; the
// concealment starts where the waveform was going (a chord no pitch period repeats) at the level
// of the signal (noise), and fades to silence after 60 ms.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('G.711 packet-loss concealment on signals', () => {
  it('passes every signal check of native/test/g711_plc_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('g711_plc_test', 'g711-plc', 6);
  });
});
