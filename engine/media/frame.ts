// The media clock's frame: every session processes, and every bot connector sends and receives,
// audio in frames of this length (the RTP ptime Parley sends unless a peer asks for a multiple).
export const FRAME_MS = 20;
export const FRAME_US = FRAME_MS * 1000;
