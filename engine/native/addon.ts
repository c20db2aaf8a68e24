import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// The one place that knows where node-gyp put the addon. Each native module has its own typed
// face in this folder and asks for its part of the addon by name.
const require = createRequire(import.meta.url);
const addonPath = fileURLToPath(new URL('../../build/Release/parley.node', import.meta.url));

let addon: Record<string, unknown> | undefined;

export function nativeModule<T>(name: string): T {
  addon ??= require(addonPath) as Record<string, unknown>;
  const module = addon[name];
  if (module === undefined) throw new Error(`native module "${name}" is missing from ${addonPath}: rebuild with npm run build:native`);
  return module as T;
}
