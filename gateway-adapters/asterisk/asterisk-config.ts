// The `asterisk` section of the node's configuration (PBX mode): where ARI is, which dialplan
// locations may reach the bot, and how media flows between Asterisk and Parley.
import { z } from 'zod';

// Over RTP only formats with a static payload type come back into Asterisk: chan_rtp (UnicastRTP)
// maps static payload types 0–34 only, so slin16/24/48 (dynamic types) flow out to the app but
// the audio sent back is silently dropped (asterisk/documentation issue #142). 16 kHz linear audio
// goes over chan_websocket instead (transport 'websocket').
export const externalMediaRtpFormats = ['ulaw', 'alaw', 'g722', 'slin'] as const;
export type ExternalMediaRtpFormat = (typeof externalMediaRtpFormats)[number];

export const asteriskConfigSchema = z
  .object({
    // ARI base URL (Asterisk's http.conf server), without the /ari suffix.
    url: z.string().url().default('http://127.0.0.1:8088'),
    username: z.string().min(1).default('parley'),
    password: z.string().min(1).optional(),
    // The Stasis application name used in extensions.conf: Stasis(parley).
    app: z.string().regex(/^[A-Za-z0-9_-]+$/).default('parley'),
    // Only channels whose dialplan location is in these contexts (and, when the list is not
    // empty, these extensions) get a bot; any other channel entering the app is hung up.
    allowedContexts: z.array(z.string().min(1)).min(1).default(['parley-bot']),
    allowedExtensions: z.array(z.string().min(1)).default([]),
    // 'audiosocket': slin 8 kHz over TCP, Asterisk connecting to `audiosocket.listenPort`.
    transport: z.enum(['rtp', 'websocket', 'audiosocket']).default('rtp'),
    // RTP transport: the ExternalMedia format.
    format: z.enum(externalMediaRtpFormats).default('ulaw'),
    // Where Asterisk sends ExternalMedia RTP (this node's media address as Asterisk sees it);
    // media.advertisedHost ?? media.host when unset.
    externalHost: z.string().optional(),
    websocket: z
      .object({
        // 'server': Asterisk listens, Parley connects to /media/<MEDIA_WEBSOCKET_CONNECTION_ID>.
        // 'client': Asterisk connects to Parley, using websocket_client.conf entry `clientName`.
        connectionType: z.enum(['server', 'client']).default('server'),
        clientName: z.string().default('parley-media'),
        listenHost: z.string().default('127.0.0.1'),
        listenPort: z.number().int().min(0).max(65535).default(8099),
      })
      .prefault({}),
    audiosocket: z
      .object({
        listenHost: z.string().default('127.0.0.1'),
        // 0: any free port (Asterisk is told the bound one in each externalMedia request).
        listenPort: z.number().int().min(0).max(65535).default(8098),
        // Connections open at once, matched or not; one per call.
        maxConnections: z.number().int().min(1).max(100_000).default(1000),
      })
      .prefault({}),
    requestTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
    reconnectInitialMs: z.number().int().min(10).max(60_000).default(500),
    reconnectMaxMs: z.number().int().min(100).max(300_000).default(15_000),
  })
  .prefault({});

export type AsteriskConfig = z.infer<typeof asteriskConfigSchema>;
export type AsteriskConfigInput = z.input<typeof asteriskConfigSchema>;
