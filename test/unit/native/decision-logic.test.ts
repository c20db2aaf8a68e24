// The jitter buffer's decision logic (below the JS boundary) as a native program built with the
// sanitizers: native/test/decision_logic_test.cc. A delay spike's backlog is drained by cutting
// voiced audio while above the band, several pitch periods a packet (fast accelerate), inside it
// only quiet packets (pauses between words);
// a delay just over the band (drift) waits for a pause, 10 ms over it is cut back wherever, and a
// pause's cut there that falls short goes on in the next packet down to its aim, and a quiet frame
// is taken from 27 ms above the target, where its cut lands on that aim; packets off the tick's
// grid aim a tick minus the grid they share higher (10 and 30 ms packets 10 ms, 15 ms packets 15);
// a talkspurt below the target starts where an expand aims, mid-frame, not a frame later;
// a gap with nothing missing (the sender paused) is skipped
// as soon as the delay is past the whole-frame threshold; a packet is dropped only 70 ms past it.
import { describe, it } from 'vitest';
import { expectNativeChecks } from '../../support/native-checks.js';

describe('jitter buffer decision logic', () => {
  it('passes every check of native/test/decision_logic_test.cc under ASan/UBSan', { timeout: 900_000 }, async () => {
    await expectNativeChecks('decision_logic_test', 'decision-logic', 43);
  });
});
