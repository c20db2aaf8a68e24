// Serves web/ (the button and the demo page). Paths are resolved inside the folder only, and only
// files `allowed` admits (the public port does not serve the operator page, and vice versa).
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { badUrl, decodePath, type HttpHandler } from '../http/http-types.js';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

export function staticFiles(root: string, allowed: (relative: string) => boolean): HttpHandler {
  const base = resolve(root) + sep;
  return async (request) => {
    const relative = request.path === '/' ? 'index.html' : decodePath(request.path)?.replace(/^\/+/, '');
    if (relative === undefined) return badUrl();
    const file = normalize(join(base, relative));
    if (!file.startsWith(base) || !allowed(file.slice(base.length))) return { status: 404, body: 'not found' };
    try {
      const body = await readFile(file);
      return { status: 200, headers: { 'content-type': types[extname(file)] ?? 'application/octet-stream' }, body };
    } catch {
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    }
  };
}
