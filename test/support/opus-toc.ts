// The Opus TOC byte (RFC 6716 section 3.1), which says how a packet was coded:
//
//    0 1 2 3 4 5 6 7
//   +-+-+-+-+-+-+-+-+
//   | config  |s| c |
//   +-+-+-+-+-+-+-+-+
//
// config (Table 2): 0-11 SILK-only (NB, MB, WB: 10/20/40/60 ms), 12-15 hybrid (SWB, FB: 10/20 ms),
// 16-31 CELT-only (NB, WB, SWB, FB: 2.5/5/10/20 ms); s: stereo; c: frames in the packet (code 0-3).

export type OpusMode = 'silk' | 'hybrid' | 'celt';
export type OpusBandwidth = 'NB' | 'MB' | 'WB' | 'SWB' | 'FB';

export interface OpusToc {
  mode: OpusMode;
  bandwidth: OpusBandwidth;
  frameMs: number;
  stereo: boolean;
  frameCountCode: number;
}

const SILK_BANDWIDTHS: OpusBandwidth[] = ['NB', 'MB', 'WB'];
const HYBRID_BANDWIDTHS: OpusBandwidth[] = ['SWB', 'FB'];
const CELT_BANDWIDTHS: OpusBandwidth[] = ['NB', 'WB', 'SWB', 'FB'];

export function parseOpusToc(packet: Uint8Array): OpusToc {
  if (packet.length < 1) throw new Error('an Opus packet has at least its TOC byte (RFC 6716 section 3.1)');
  const toc = packet[0]!;
  const config = toc >> 3;
  const common = { stereo: (toc & 0x04) !== 0, frameCountCode: toc & 0x03 };
  if (config < 12) return { mode: 'silk', bandwidth: SILK_BANDWIDTHS[config >> 2]!, frameMs: [10, 20, 40, 60][config & 3]!, ...common };
  if (config < 16) return { mode: 'hybrid', bandwidth: HYBRID_BANDWIDTHS[(config - 12) >> 1]!, frameMs: [10, 20][config & 1]!, ...common };
  return { mode: 'celt', bandwidth: CELT_BANDWIDTHS[(config - 16) >> 2]!, frameMs: [2.5, 5, 10, 20][config & 3]!, ...common };
}

// How many packets of each kind ("hybrid FB 20 ms"), for comparing two streams.
export function tocCensus(packets: Uint8Array[]): Map<string, number> {
  const census = new Map<string, number>();
  for (const packet of packets) {
    const { mode, bandwidth, frameMs } = parseOpusToc(packet);
    const kind = `${mode} ${bandwidth} ${frameMs} ms`;
    census.set(kind, (census.get(kind) ?? 0) + 1);
  }
  return census;
}
