// Lets the Janus of janus-netns.ts call a real Asterisk (real-asterisk.ts): a PJSIP transport on
// the host end of the veth pair, where Janus's SIP plugin reaches it, and an endpoint identified
// by Janus's address (no registration, no auth) landing in the test dialplan's `from-test`
// context (7000 -> parley-bot -> Stasis(parley)). docs/janus.md shows these sections.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './asterisk/parley-pbx.js';
import type { RealAsterisk } from './asterisk/real-asterisk.js';
import { freeUdpPort } from './free-port.js';
import { HOST_ADDRESS, JANUS_ADDRESS } from './janus-netns.js';

export function janusEndpointConf(hostAddress: string, sipPort: number, janusAddress: string): string {
  return `
[transport-janus]
type = transport
protocol = udp
bind = ${hostAddress}:${sipPort}

[janus]
type = endpoint
transport = transport-janus
context = from-test
disallow = all
allow = ulaw
direct_media = no
rtp_symmetric = yes
force_rport = yes
rewrite_contact = yes
dtmf_mode = rfc4733
media_address = ${hostAddress}
bind_rtp_to_media_address = yes

[janus]
type = identify
endpoint = janus
match = ${janusAddress}
`;
}

// Adds the Janus transport and endpoint to a running Asterisk; resolves with the URI Janus calls.
export async function admitJanus(asterisk: RealAsterisk): Promise<string> {
  const sipPort = await freeUdpPort(HOST_ADDRESS);
  appendFileSync(join(asterisk.dir, 'etc', 'pjsip.conf'), janusEndpointConf(HOST_ADDRESS, sipPort, JANUS_ADDRESS));
  await asterisk.cli('module reload res_pjsip.so');
  await until(async () => (await asterisk.cli('pjsip show transports')).includes(`${HOST_ADDRESS}:${sipPort}`), 'the PJSIP transport for Janus');
  return `sip:7000@${HOST_ADDRESS}:${sipPort}`;
}
