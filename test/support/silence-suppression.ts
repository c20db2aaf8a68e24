// Bounds for tests that a caller's pauses (RFC 3389 CN, Opus DTX) are taken as silence, on a
// machine whose two cores the sender, the node and other suites share: a few packets may come late
// there (each one lost and concealed at the 20 ms minimum target), and real jitter may raise the
// target. A pause taken as loss would cost every frame slot in it (50 and more in these tests), a
// pause taken as a delay spike would push the target to the 400 ms cap.
export const LATE_FRAMES_UNDER_LOAD = 5;
export const TARGET_DELAY_UNDER_LOAD_MS = 200;
