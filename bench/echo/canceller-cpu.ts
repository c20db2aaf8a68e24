// The echo canceller alone on fixed inputs (test/support/echo-canceller-fixture.ts), for
// instruction counts that wall-clock benches on a shared machine cannot give:
//   valgrind --tool=callgrind --toggle-collect='parley::EchoCanceller::Process*' \
//     node --import tsx bench/echo/canceller-cpu.ts
// counts only the canceller's per-frame work. Prints each input's output checksum, so a change
// meant to be bit-exact can be seen to be.
import { cancellerFixtures, checksum, runCanceller } from '../../test/support/echo-canceller-fixture.js';

for (const input of cancellerFixtures()) {
  const frames = input.capture.length / (input.rateHz / 50);
  console.log(`${input.name}: ${frames} frames, output ${checksum(runCanceller(input))}`);
}
