// Shared by the API bench and its server child: which servers exist and the origin grants are
// asked for.
export const BENCH_ORIGIN = 'https://shop.example';
export const serverKinds = ['uws', 'node-http'] as const;
export type ServerKind = (typeof serverKinds)[number];
