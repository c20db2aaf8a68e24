// Splits a signal into whole frames (views, no copies); a trailing partial frame is dropped.
export function frames<T>(signal: T & { length: number; subarray(a: number, b: number): T }, size: number): T[] {
  const out: T[] = [];
  for (let i = 0; i + size <= signal.length; i += size) out.push(signal.subarray(i, i + size));
  return out;
}
