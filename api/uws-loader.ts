// Loads uWebSockets.js. The official build ships only from its GitHub repository; when an operator
// has installed it (`npm install uNetworking/uWebSockets.js#v20.52.0`), it wins. Otherwise the
// pinned npm republish `uwebsockets@3.0.6` is used, but only after the SHA-256 of its binary for
// this platform matches the hash recorded in uws-binaries.json when it was pinned: a changed
// binary refuses to load rather than run unverified native code.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Uws from 'uwebsockets';

const require = createRequire(import.meta.url);
const pinned = JSON.parse(readFileSync(fileURLToPath(new URL('./uws-binaries.json', import.meta.url)), 'utf8')) as {
  package: string;
  version: string;
  sha256: Record<string, string>;
};

export type UwsModule = typeof Uws;

export class UwsIntegrityError extends Error {
  override name = 'UwsIntegrityError';
}

export interface LoadedUws {
  uws: UwsModule;
  source: 'official' | 'pinned-republish';
}

function tryOfficial(): UwsModule | undefined {
  try {
    return require('uWebSockets.js') as UwsModule;
  } catch {
    return undefined;
  }
}

export function loadUws(): LoadedUws {
  const official = tryOfficial();
  if (official) return { uws: official, source: 'official' };

  const packageJson = require.resolve(`${pinned.package}/package.json`);
  const installed = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  if (installed.version !== pinned.version) {
    throw new UwsIntegrityError(`${pinned.package} ${installed.version} is installed but ${pinned.version} is pinned: reinstall with npm ci`);
  }
  const binary = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const binaryPath = join(dirname(packageJson), binary);
  const expected = pinned.sha256[binary];
  if (!expected || !existsSync(binaryPath)) {
    throw new UwsIntegrityError(`no verified uWebSockets.js binary for this platform (${binary}); install the official build`);
  }
  const actual = createHash('sha256').update(readFileSync(binaryPath)).digest('hex');
  if (actual !== expected) {
    throw new UwsIntegrityError(`${binary} has SHA-256 ${actual}, expected ${expected}: refusing to load it`);
  }
  return { uws: require(binaryPath) as UwsModule, source: 'pinned-republish' };
}
