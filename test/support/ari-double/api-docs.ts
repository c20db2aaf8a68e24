// Asterisk 22.10.1's own ARI swagger documents (test/fixtures/asterisk-22-ari, copied from the
// Asterisk source tree), served as the double's /ari/api-docs so ari-client builds its client from
// the real spec. Asterisk rewrites each document's basePath to the address it was asked on
// (res/ari/ari_websockets.c / ast_ari_get_docs); swagger-client 2.0 follows basePath for every
// request, so the double must do the same or ari-client would call localhost:8088.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fixtureDir = join(import.meta.dirname, '../../fixtures/asterisk-22-ari');

export interface SwaggerParameter {
  name: string;
  paramType: 'path' | 'query' | 'body';
  required?: boolean;
  dataType: string;
  allowMultiple?: boolean;
  allowableValues?: { valueType: string; values?: string[] };
}

export interface SwaggerOperation {
  httpMethod: string;
  nickname: string;
  parameters?: SwaggerParameter[];
  errorResponses?: Array<{ code: number; reason: string }>;
}

export interface SwaggerApi {
  path: string;
  operations: SwaggerOperation[];
}

interface SwaggerDoc {
  basePath: string;
  apis: SwaggerApi[];
  models?: Record<string, unknown>;
}

const cache = new Map<string, SwaggerDoc>();

export function apiDoc(name: string): SwaggerDoc {
  let doc = cache.get(name);
  if (doc === undefined) {
    doc = JSON.parse(readFileSync(join(fixtureDir, `${name}.json`), 'utf8')) as SwaggerDoc;
    cache.set(name, doc);
  }
  return doc;
}

export function servedApiDoc(name: string, baseUrl: string): string {
  return JSON.stringify({ ...apiDoc(name), basePath: `${baseUrl}/ari` });
}

export const resourceNames = (): string[] =>
  (apiDoc('resources').apis as Array<{ path: string }>).map((api) => /\/api-docs\/(\w+)\./.exec(api.path)![1]!);

export interface RoutedOperation {
  resource: string;
  operation: SwaggerOperation;
  pathParams: Record<string, string>;
}

// Finds the documented operation for a request (e.g. POST /channels/abc/answer -> answer).
// Literal path segments beat templated ones, as in Asterisk's generated handler tree.
export function routeOf(method: string, path: string): RoutedOperation | 'no-resource' | 'no-method' {
  const segments = path.split('/').filter(Boolean);
  let methodMismatch = false;
  let best: { score: number; routed: RoutedOperation } | undefined;
  for (const resource of resourceNames()) {
    if (resource === 'events') continue;
    for (const api of apiDoc(resource).apis) {
      const template = api.path.split('/').filter(Boolean);
      if (template.length !== segments.length) continue;
      const pathParams: Record<string, string> = {};
      let score = 0;
      const matches = template.every((part, i) => {
        const brace = /^\{(\w+)\}$/.exec(part);
        if (brace) {
          pathParams[brace[1]!] = decodeURIComponent(segments[i]!);
          return true;
        }
        score++;
        return part === segments[i];
      });
      if (!matches) continue;
      const operation = api.operations.find((op) => op.httpMethod === method);
      if (operation === undefined) {
        methodMismatch = true;
        continue;
      }
      if (best === undefined || score > best.score) best = { score, routed: { resource, operation, pathParams } };
    }
  }
  if (best) return best.routed;
  return methodMismatch ? 'no-method' : 'no-resource';
}
