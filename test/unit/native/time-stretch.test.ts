// Time-scale modification and comfort noise on signals, as a native program built with the
// sanitizers (TimeStretch and ComfortNoise sit below the JS boundary, inside the leg's playout):
// native/test/time_stretch_test.cc. A stretched tone keeps its pitch, the output length changes
// by the lag taken, joins have no step above the signal's own, loud noise is left alone, merge
// removes the step where a packet returns, a voice below 100 Hz is accelerated by a whole period
// in a 20 ms packet, a fast accelerate (a backlog far above the target) cuts whole periods, one
// more at a time, or quiet audio up to 3/4 of the packet, an accelerate's join fades over the
// rest of the packet, a packet stepping in level (an onset, a decay) is not cut, nor a quiet one
// ending in a loud onset, and RFC 3389 noise has the level and shape it says.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('time stretch and comfort noise on signals', () => {
  it('passes every signal check of native/test/time_stretch_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('time_stretch_test', 'time-stretch', 59);
  });
});
