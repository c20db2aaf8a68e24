// SIP messages (RFC 3261 section 7) over UDP: parse a datagram, build responses and requests.
// Hand-written: the npm `sip` package is unmaintained, untyped and owns its own sockets; what a
// UAS for one bot URI needs is the message grammar below, tested with malformed fixtures.
//
//   start-line  = Request-Line / Status-Line
//   message     = start-line *( message-header ) CRLF [ message-body ]
//   Request-Line = Method SP Request-URI SP SIP-Version CRLF
//   Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase CRLF
import { SipParseError, SipRejection } from './errors.js';

export const MAX_SIP_MESSAGE_BYTES = 64 * 1024;

// Compact header forms (RFC 3261 section 7.3.3) -> the long names used as keys.
const compactForms: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
};

// Headers whose comma-separated values are separate header values (section 7.3.1); the others
// (From, To, Call-ID...) may hold commas inside quoted display names and are kept whole.
const listHeaders = new Set(['via', 'contact', 'route', 'record-route', 'require', 'supported', 'allow', 'proxy-require']);

export class SipHeaders {
  private readonly values = new Map<string, string[]>();

  get(name: string): string | undefined {
    return this.values.get(name.toLowerCase())?.[0];
  }

  all(name: string): string[] {
    return this.values.get(name.toLowerCase()) ?? [];
  }

  add(name: string, value: string): void {
    const key = name.toLowerCase();
    const list = this.values.get(key) ?? [];
    list.push(value);
    this.values.set(key, list);
  }
}

interface SipMessageBase {
  headers: SipHeaders;
  body: string;
}

export interface SipRequest extends SipMessageBase {
  kind: 'request';
  method: string;
  uri: string;
  version: string;
  // Why the header section or body framing is broken (answered with 400), if it is.
  malformed?: string;
}

export interface SipResponse extends SipMessageBase {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

function splitList(value: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth--;
    else if (!quoted && depth === 0 && ch === ',') {
      parts.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(value.slice(start).trim());
  return parts.filter((part) => part.length > 0);
}

const tokenPattern = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

// Parses one datagram. A start line that is not SIP throws SipParseError (nothing to answer); a
// request with a SIP start line but a broken header section comes back with `malformed` set and
// the headers that could be read, so the UAS can answer 400 and the sender learns why.
export function parseSipMessage(datagram: Buffer): SipMessage {
  if (datagram.length > MAX_SIP_MESSAGE_BYTES) throw new SipParseError('datagram too large');
  const text = datagram.toString('utf8');
  const headerEnd = text.search(/\r?\n\r?\n/);
  const head = headerEnd === -1 ? text : text.slice(0, headerEnd);
  const rawBody = headerEnd === -1 ? '' : text.slice(headerEnd).replace(/^\r?\n\r?\n/, '');
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift() ?? '';

  let message: SipMessage;
  const headers = new SipHeaders();
  const statusMatch = /^SIP\/(\d+\.\d+) (\d{3}) ?(.*)$/.exec(startLine);
  const requestMatch = /^(\S+) (\S+) SIP\/(\d+\.\d+)$/.exec(startLine);
  if (statusMatch) {
    message = { kind: 'response', status: Number(statusMatch[2]), reason: statusMatch[3] ?? '', headers, body: '' };
  } else if (requestMatch && tokenPattern.test(requestMatch[1]!)) {
    message = { kind: 'request', method: requestMatch[1]!, uri: requestMatch[2]!, version: requestMatch[3]!, headers, body: '' };
  } else {
    throw new SipParseError('not a SIP start line');
  }

  let problem: string | undefined;
  // Header folding (section 7.3.1): a line starting with white space continues the previous one.
  const unfolded: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else unfolded.push(line);
  }
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    const rawName = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!tokenPattern.test(rawName)) {
      problem ??= 'Malformed header line';
      continue;
    }
    const name = compactForms[rawName.toLowerCase()] ?? rawName.toLowerCase();
    const value = line.slice(colon + 1).trim();
    for (const part of listHeaders.has(name) ? splitList(value) : [value]) headers.add(name, part);
  }

  const lengthText = headers.get('content-length');
  if (lengthText !== undefined) {
    const length = /^\d+$/.test(lengthText) ? Number(lengthText) : Number.NaN;
    const bodyBytes = Buffer.byteLength(rawBody, 'utf8');
    // Section 18.3: over UDP, octets past Content-Length are dropped, and a Content-Length larger
    // than the datagram is answered with 400.
    if (!Number.isInteger(length) || length > bodyBytes) problem ??= 'Bad Content-Length';
    else message.body = Buffer.from(rawBody, 'utf8').subarray(0, length).toString('utf8');
  } else {
    message.body = rawBody;
  }
  if (message.kind === 'request' && problem) message.malformed = problem;
  return message;
}

export interface NameAddr {
  uri: string;
  params: Map<string, string>;
  // The header value as received, without its parameters (kept for echoing From/To).
  text: string;
}

// name-addr / addr-spec with header parameters (section 20.10): `"Bob" <sip:b@h>;tag=x`.
export function parseNameAddr(value: string): NameAddr {
  const angle = /^(?:"(?:[^"\\]|\\.)*"\s*|[^<"]*)<([^>]*)>(.*)$/.exec(value.trim());
  const uri = angle ? angle[1]! : value.trim().split(';')[0]!.trim();
  const paramText = angle ? angle[2]! : value.trim().slice(uri.length);
  const params = new Map<string, string>();
  for (const param of paramText.split(';').slice(1)) {
    const [name, ...rest] = param.split('=');
    if (name) params.set(name.trim().toLowerCase(), rest.join('=').trim());
  }
  if (!uri) throw new SipRejection(400, 'Malformed address');
  return { uri, params, text: value.trim() };
}

export interface SipUri {
  scheme: string;
  user?: string;
  host: string;
  port?: number;
}

export function parseSipUri(uri: string): SipUri {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:([^@;?]+)@)?(\[[0-9a-fA-F:.]+\]|[^:;?]+)(?::(\d{1,5}))?/.exec(uri);
  if (!match) throw new SipRejection(400, 'Bad Request-URI');
  return {
    scheme: match[1]!.toLowerCase(),
    user: match[2] ? unescapeUser(match[2].split(':')[0]!) : undefined,
    host: match[3]!.toLowerCase(),
    port: match[4] ? Number(match[4]) : undefined,
  };
}

// The user part may carry %HH escapes (section 19.1.2); a broken one is the sender's syntax
// error (400), not an exception of ours.
function unescapeUser(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SipRejection(400, 'Bad Request-URI');
  }
}

// The methods a metric may name; any other token is counted as 'other', so a sender cannot
// create series by inventing methods (RFC 3261 section 7.1 lets a method be any token).
const knownMethods = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']);

export function methodLabel(method: string): string {
  return knownMethods.has(method) ? method : 'other';
}

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string | undefined): CSeq {
  const match = value ? /^(\d{1,10})\s+(\S+)$/.exec(value) : null;
  if (!match || Number(match[1]) > 2 ** 31 - 1) throw new SipRejection(400, 'Bad CSeq');
  return { seq: Number(match[1]), method: match[2]! };
}

export function viaBranch(via: string): string | undefined {
  return /;\s*branch=([^;,\s]+)/i.exec(via)?.[1];
}

export function withTag(value: string, tag: string): string {
  return /;\s*tag=/i.test(value) ? value : `${value};tag=${tag}`;
}

export function serializeRequest(method: string, uri: string, headers: Array<[string, string]>, body = ''): Buffer {
  return serialize(`${method} ${uri} SIP/2.0`, headers, body);
}

export function serializeResponse(status: number, reason: string, headers: Array<[string, string]>, body = ''): Buffer {
  return serialize(`SIP/2.0 ${status} ${reason}`, headers, body);
}

function serialize(startLine: string, headers: Array<[string, string]>, body: string): Buffer {
  const lines = [startLine, ...headers.map(([name, value]) => `${name}: ${value}`), `Content-Length: ${Buffer.byteLength(body)}`];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

// A response to `request` (section 8.2.6.2): Via, From, Call-ID and CSeq copied, To copied with
// the UAS's tag added when one is given.
export function responseTo(
  request: SipRequest,
  status: number,
  reason: string,
  // bare: only the headers section 8.2.6.2 requires (a refusal to an unverified source is kept small).
  options: { toTag?: string; headers?: Array<[string, string]>; body?: string; bare?: boolean } = {},
): Buffer {
  const h = request.headers;
  const to = h.get('to') ?? '';
  const headers: Array<[string, string]> = [
    ...h.all('via').map((via): [string, string] => ['Via', via]),
    ['From', h.get('from') ?? ''],
    ['To', options.toTag && status !== 100 ? withTag(to, options.toTag) : to],
    ['Call-ID', h.get('call-id') ?? ''],
    ['CSeq', h.get('cseq') ?? ''],
    ...(options.bare ? [] : ([['Server', 'Parley'], ...(options.headers ?? [])] as Array<[string, string]>)),
  ];
  return serializeResponse(status, reason, headers, options.body ?? '');
}
