// The E-model (ITU-T G.107) reduced the way rtpengine, baresip and VoIP monitors use it for a
// per-call score: every default except delay and the codec's equipment impairment under packet
// loss, so R = R0 - Is - Id - Ie,eff + A with the defaults' R0 - Is = 93.2 and A = 0.
// Written here because no maintained npm package implements G.107 (only ad-hoc MOS formulas).

// G.107 section 7 with every parameter at its default value.
export const R_DEFAULT = 93.2;

// Equipment impairment Ie and packet-loss robustness Bpl (G.107 section 3.6; values from G.113
// Appendix I, Table I.1 and I.3).
export interface CodecImpairment {
  ie: number;
  bpl: number;
}

// G.711 with packet loss concealment (G.711 Appendix I): Ie 0, Bpl 25.1 (G.113 Table I.3).
// Parley conceals every lost packet (jitter buffer expand), so the PLC value applies.
const G711_PLC: CodecImpairment = { ie: 0, bpl: 25.1 };

// G.722 and Opus have no entry on G.107's narrowband scale (G.113 lists them for the wideband
// E-model, G.107.1, whose scale goes to 129). On the narrowband scale a wideband codec is at least
// as good as G.711, so both take G.711-with-PLC's values, as rtpengine and baresip do for every
// codec; Opus' in-band FEC makes that conservative under loss.
const codecImpairments: Record<string, CodecImpairment> = { PCMU: G711_PLC, PCMA: G711_PLC, G722: G711_PLC, opus: G711_PLC };

// Linear PCM (L16, slin) adds no coding impairment either: G.711's values.
export function codecImpairment(codec: string): CodecImpairment {
  return codecImpairments[codec] ?? G711_PLC;
}

// Delay impairment Id for a one-way mouth-to-ear delay in ms: Cole and Rosenbluth's fit of G.107's
// Id with its default echo parameters ("Voice over IP performance monitoring", 2001), the form
// rtpengine and VoIP monitors use: linear to 177.3 ms, steeper beyond.
export function delayImpairment(oneWayDelayMs: number): number {
  const d = Math.max(0, oneWayDelayMs);
  return 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
}

// G.107's effective equipment impairment: Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl), Ppl in percent,
// BurstR = 1 for random loss.
export function effectiveEquipmentImpairment(codec: CodecImpairment, lossPercent: number, burstRatio = 1): number {
  const ppl = Math.min(100, Math.max(0, lossPercent));
  return codec.ie + ((95 - codec.ie) * ppl) / (ppl / burstRatio + codec.bpl);
}

// G.107 Annex B: the R-factor's estimated mean opinion score (conversational, narrowband).
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

export interface EModelInput {
  codec: CodecImpairment;
  oneWayDelayMs: number;
  // Packets lost in the network plus those the jitter buffer discarded (arrived too late to play).
  lossPercent: number;
}

export function rFactor({ codec, oneWayDelayMs, lossPercent }: EModelInput): number {
  return R_DEFAULT - delayImpairment(oneWayDelayMs) - effectiveEquipmentImpairment(codec, lossPercent);
}
