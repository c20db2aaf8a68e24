// Writes RTP packets into a classic libpcap file (Ethernet, IPv4, UDP on 127.0.0.1) for tools
// that replay captures, such as SIPp's play_pcap_audio: it sends each UDP payload at its capture
// time, from its media port to the port the SDP answer named.
import { RtpHeader, RtpPacket } from 'werift';

export interface CapturedRtp {
  atUs: number; // from the capture's start
  header: Partial<RtpHeader>;
  payload: Uint8Array;
}

const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_UDP = 17;
const LOOPBACK = [127, 0, 0, 1];
// Ports in the capture only: the replaying tool puts its own on the wire.
const CAPTURE_SRC_PORT = 4000;
const CAPTURE_DST_PORT = 5000;
// Capture times count from here: SIPp 3.6 takes a zero timestamp for "no previous packet" and
// would send the packet after one at time zero without its gap.
const CAPTURE_EPOCH_S = 1_700_000_000;

function frameOf(rtp: Buffer): Buffer {
  const frame = Buffer.alloc(14 + 20 + 8 + rtp.length);
  frame.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const ip = 14;
  frame.writeUInt8(0x45, ip); // IPv4, 20-byte header
  frame.writeUInt16BE(20 + 8 + rtp.length, ip + 2);
  frame.writeUInt8(64, ip + 8); // TTL
  frame.writeUInt8(IPPROTO_UDP, ip + 9);
  frame.set(LOOPBACK, ip + 12);
  frame.set(LOOPBACK, ip + 16);
  const udp = ip + 20;
  frame.writeUInt16BE(CAPTURE_SRC_PORT, udp);
  frame.writeUInt16BE(CAPTURE_DST_PORT, udp + 2);
  frame.writeUInt16BE(8 + rtp.length, udp + 4);
  // Checksum 0: none (RFC 768), so a replay under other ports is not dropped for it.
  rtp.copy(frame, udp + 8);
  return frame;
}

export function rtpPcap(packets: CapturedRtp[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_MAGIC, 0);
  header.writeUInt16LE(2, 4); // version 2.4
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16); // snaplen
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const records = packets.map(({ atUs, header: rtpHeader, payload }) => {
    const frame = frameOf(new RtpPacket(new RtpHeader({ version: 2, ...rtpHeader }), Buffer.from(payload)).serialize());
    const record = Buffer.alloc(16);
    record.writeUInt32LE(CAPTURE_EPOCH_S + Math.floor(atUs / 1e6), 0);
    record.writeUInt32LE(atUs % 1e6, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, frame]);
  });
  return Buffer.concat([header, ...records]);
}
