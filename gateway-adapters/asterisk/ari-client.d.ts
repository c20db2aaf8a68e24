// ari-client ships no types; the adapter types what it uses in ari-api.ts.
declare module 'ari-client' {
  export function connect(url: string, user: string, password: string): Promise<unknown>;
}
