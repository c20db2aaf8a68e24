// Tests of the bot leg's batched WebSocket sends (net/websocket_send_batch.h,
// net/websocket_client_frame.h, net/io_uring_ring.h) over real loopback TCP connections, through
// io_uring and through plain sends: frames as RFC 6455 section 5.2 lays them out (header sizes at
// the length encodings' edges, the mask bit, a fresh key per frame, the payload back after
// unmasking), each connection's frames back to back in one send, a closed socket (fd -1) skipped
// without holding the others back, a socket that cannot take everything reporting exactly the
// prefix the kernel took, and malformed batches refused before anything is sent. Run under
// ASan/UBSan by test/unit/native/websocket-send-batch.test.ts. Every check prints one line, "ok"
// or "FAIL", and the exit status is the number of failures.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/websocket_client_frame.h"
#include "net/websocket_send_batch.h"
#include "test/check.h"

namespace {

using parley::WebSocketSendBatch;
using parley_test::Check;

struct Pair {
  int near_end = -1;  // the sender's, non-blocking
  int far_end = -1;
  ~Pair() {
    if (near_end >= 0) close(near_end);
    if (far_end >= 0) close(far_end);
  }
};

// A loopback TCP connection; small buffers when asked, so that a test can fill them.
void Connect(Pair& pair, int buffer_bytes) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::perror("listen");
    std::exit(100);
  }
  pair.near_end = socket(AF_INET, SOCK_STREAM, 0);
  if (buffer_bytes > 0) setsockopt(pair.near_end, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  if (connect(pair.near_end, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("connect");
    std::exit(100);
  }
  pair.far_end = accept(listener, nullptr, nullptr);
  if (buffer_bytes > 0) setsockopt(pair.far_end, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  close(listener);
  fcntl(pair.near_end, F_SETFL, O_NONBLOCK);
  const int on = 1;
  setsockopt(pair.near_end, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// Reads exactly `bytes` from a blocking socket.
std::vector<uint8_t> ReadExactly(int fd, size_t bytes) {
  std::vector<uint8_t> data(bytes);
  size_t got = 0;
  while (got < bytes) {
    const ssize_t n = read(fd, data.data() + got, bytes - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  return data;
}

// Reads what is there without waiting (the far end set non-blocking for it).
std::vector<uint8_t> ReadAvailable(int fd) {
  fcntl(fd, F_SETFL, O_NONBLOCK);
  std::vector<uint8_t> data;
  uint8_t chunk[65536];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    data.insert(data.end(), chunk, chunk + n);
  }
  return data;
}

struct Parsed {
  bool ok = false;
  uint8_t first = 0;
  bool masked = false;
  std::vector<uint8_t> key;
  std::vector<uint8_t> payload;
  size_t bytes = 0;
};

// A frame parsed the way a server does (RFC 6455 section 5.2), unmasked.
Parsed Parse(const uint8_t* at, size_t available) {
  Parsed frame;
  if (available < 2) return frame;
  frame.first = at[0];
  frame.masked = (at[1] & 0x80) != 0;
  uint64_t length = at[1] & 0x7F;
  size_t header = 2;
  if (length == 126) {
    if (available < 4) return frame;
    length = (uint64_t{at[2]} << 8) | at[3];
    header = 4;
  } else if (length == 127) {
    if (available < 10) return frame;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | at[2 + i];
    header = 10;
  }
  if (!frame.masked || available < header + 4 + length) return frame;
  frame.key.assign(at + header, at + header + 4);
  for (uint64_t i = 0; i < length; ++i) frame.payload.push_back(at[header + 4 + i] ^ frame.key[i % 4]);
  frame.bytes = header + 4 + length;
  frame.ok = true;
  return frame;
}

std::vector<uint8_t> Payload(size_t bytes, uint32_t seed) {
  std::vector<uint8_t> payload(bytes);
  for (size_t i = 0; i < bytes; ++i) {
    seed = seed * 1664525u + 1013904223u;
    payload[i] = static_cast<uint8_t>(seed >> 24);
  }
  return payload;
}

void HeaderSizes() {
  const size_t cases[][2] = {{0, 6}, {125, 6}, {126, 8}, {65535, 8}, {65536, 14}, {1 << 20, 14}};
  for (const auto& c : cases) {
    const std::string what = "a payload of " + std::to_string(c[0]) + " bytes has a header of " + std::to_string(c[1]);
    Check(parley::WebSocketClientHeaderBytes(c[0]) == c[1], what.c_str(), static_cast<double>(parley::WebSocketClientHeaderBytes(c[0])));
  }
}

void FramesRoundTrip() {
  const uint8_t key[4] = {0x37, 0xFA, 0x21, 0x3D};
  for (size_t bytes : {0, 1, 7, 8, 9, 125, 126, 640, 65535, 65536}) {
    const std::vector<uint8_t> payload = Payload(bytes, static_cast<uint32_t>(bytes));
    std::vector<uint8_t> out(parley::WebSocketClientHeaderBytes(bytes) + bytes);
    const size_t written = parley::WriteWebSocketClientFrame(parley::kWebSocketBinary, payload.data(), bytes, key, out.data());
    const Parsed frame = Parse(out.data(), out.size());
    const bool ok = written == out.size() && frame.ok && frame.bytes == written && frame.first == 0x82 && frame.payload == payload &&
                    std::memcmp(frame.key.data(), key, 4) == 0;
    const std::string what = "a " + std::to_string(bytes) + "-byte binary frame parses back to its payload";
    Check(ok, what.c_str(), static_cast<double>(written));
  }
}

// Three connections, 2, 1 and 3 frames (binary and text), one flush: each far end reads its own
// frames back in order.
void BatchDelivers(WebSocketSendBatch::Mode mode, const char* name) {
  WebSocketSendBatch batch(mode);
  if (mode == WebSocketSendBatch::Mode::kAuto) {
    Check(batch.uses_io_uring(), "io_uring is available (kernel 5.6 or later, not disabled by kernel.io_uring_disabled or seccomp)", 0);
  }
  Pair pairs[3];
  for (Pair& pair : pairs) Connect(pair, 0);
  const size_t counts[3] = {2, 1, 3};
  std::vector<uint8_t> payloads;
  std::vector<WebSocketSendBatch::Frame> frames;
  std::vector<std::vector<uint8_t>> expected;
  for (size_t c = 0; c < 3; ++c) {
    for (size_t f = 0; f < counts[c]; ++f) {
      const size_t bytes = f == 2 ? 100 : 640;
      const std::vector<uint8_t> payload = Payload(bytes, static_cast<uint32_t>(c * 10 + f + 1));
      frames.push_back({payloads.size(), bytes, f == 2 ? parley::kWebSocketText : parley::kWebSocketBinary});
      payloads.insert(payloads.end(), payload.begin(), payload.end());
      expected.push_back(payload);
    }
  }
  WebSocketSendBatch::Connection connections[3];
  for (size_t c = 0; c < 3; ++c) connections[c] = {pairs[c].near_end, counts[c], 0, 0, 0};
  std::vector<uint8_t> out(WebSocketSendBatch::OutBytes(frames.data(), frames.size()));
  batch.Flush(payloads.data(), payloads.size(), frames.data(), frames.size(), connections, 3, out.data(), out.size());
  size_t next = 0;
  bool all = true;
  std::set<std::vector<uint8_t>> keys;
  for (size_t c = 0; c < 3; ++c) {
    all = all && connections[c].written == static_cast<ssize_t>(connections[c].out_bytes);
    const std::vector<uint8_t> got = ReadExactly(pairs[c].far_end, connections[c].out_bytes);
    size_t at = 0;
    for (size_t f = 0; f < counts[c]; ++f, ++next) {
      const Parsed frame = Parse(got.data() + at, got.size() - at);
      all = all && frame.ok && frame.payload == expected[next] && frame.first == (f == 2 ? 0x81 : 0x82);
      keys.insert(frame.key);
      at += frame.bytes;
    }
    all = all && at == got.size();
  }
  std::string what = std::string(name) + ": every connection gets its own frames, whole and in order, in one send";
  Check(all, what.c_str(), static_cast<double>(next));
  what = std::string(name) + ": each frame has a key of its own";
  Check(keys.size() == frames.size(), what.c_str(), static_cast<double>(keys.size()));
}

// More connections than the ring has entries: the rest go in further submissions, all sent.
void MoreConnectionsThanRingEntries() {
  WebSocketSendBatch batch(WebSocketSendBatch::Mode::kAuto);
  Check(batch.uses_io_uring(), "io_uring: the ring is open for the many-connection batch", 0);
  constexpr size_t kConnections = WebSocketSendBatch::kRingEntries + 44;
  std::vector<Pair> pairs(kConnections);
  for (Pair& pair : pairs) Connect(pair, 0);
  const std::vector<uint8_t> payload = Payload(640, 3);
  std::vector<WebSocketSendBatch::Frame> frames(kConnections, {0, 640, parley::kWebSocketBinary});
  std::vector<WebSocketSendBatch::Connection> connections;
  for (const Pair& pair : pairs) connections.push_back({pair.near_end, 1, 0, 0, 0});
  std::vector<uint8_t> out(WebSocketSendBatch::OutBytes(frames.data(), frames.size()));
  batch.Flush(payload.data(), payload.size(), frames.data(), frames.size(), connections.data(), connections.size(), out.data(), out.size());
  size_t delivered = 0;
  for (size_t i = 0; i < kConnections; ++i) {
    if (connections[i].written == 648 && Parse(ReadExactly(pairs[i].far_end, 648).data(), 648).payload == payload) ++delivered;
  }
  Check(delivered == kConnections, "io_uring: more connections than ring entries are all sent", static_cast<double>(delivered));
}

// A closed socket (-1) between two open ones: skipped, -EBADF, the others sent.
void ClosedSocketSkipped(WebSocketSendBatch::Mode mode, const char* name) {
  WebSocketSendBatch batch(mode);
  Pair pairs[2];
  for (Pair& pair : pairs) Connect(pair, 0);
  const std::vector<uint8_t> payload = Payload(640, 7);
  const WebSocketSendBatch::Frame frames[3] = {{0, 640, parley::kWebSocketBinary}, {0, 640, parley::kWebSocketBinary}, {0, 640, parley::kWebSocketBinary}};
  WebSocketSendBatch::Connection connections[3] = {{pairs[0].near_end, 1, 0, 0, 0}, {-1, 1, 0, 0, 0}, {pairs[1].near_end, 1, 0, 0, 0}};
  std::vector<uint8_t> out(WebSocketSendBatch::OutBytes(frames, 3));
  batch.Flush(payload.data(), payload.size(), frames, 3, connections, 3, out.data(), out.size());
  const bool ok = connections[1].written == -EBADF && connections[0].written == 648 && connections[2].written == 648 &&
                  Parse(ReadExactly(pairs[1].far_end, 648).data(), 648).payload == payload;
  const std::string what = std::string(name) + ": a closed socket is skipped (-EBADF) and the others are sent";
  Check(ok, what.c_str(), static_cast<double>(connections[1].written));
}

// A far end that does not read, small buffers: flushes of 64 KB frames until the kernel takes
// only a part. What it reports taken is exactly what the far end then reads.
void FullSocketReportsItsPrefix(WebSocketSendBatch::Mode mode, const char* name) {
  WebSocketSendBatch batch(mode);
  Pair pair;
  Connect(pair, 4096);
  const std::vector<uint8_t> payload = Payload(65536, 11);
  const WebSocketSendBatch::Frame frame{0, payload.size(), parley::kWebSocketBinary};
  std::vector<uint8_t> out(WebSocketSendBatch::OutBytes(&frame, 1));
  std::vector<uint8_t> taken;
  bool short_seen = false;
  ssize_t last = 0;
  for (int round = 0; round < 64 && !short_seen; ++round) {
    WebSocketSendBatch::Connection connection{pair.near_end, 1, 0, 0, 0};
    batch.Flush(payload.data(), payload.size(), &frame, 1, &connection, 1, out.data(), out.size());
    last = connection.written;
    if (last > 0) taken.insert(taken.end(), out.begin(), out.begin() + last);
    short_seen = last < static_cast<ssize_t>(connection.out_bytes);
  }
  std::string what = std::string(name) + ": a socket that cannot take a frame reports a short count or -EAGAIN";
  Check(short_seen && (last >= 0 || last == -EAGAIN), what.c_str(), static_cast<double>(last));
  const std::vector<uint8_t> read_back = ReadAvailable(pair.far_end);
  what = std::string(name) + ": the far end reads exactly the bytes reported taken";
  Check(read_back == taken, what.c_str(), static_cast<double>(read_back.size()));
}

template <typename F>
bool Throws(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument&) {
    return true;
  }
  return false;
}

void MalformedBatchesRefused() {
  WebSocketSendBatch batch(WebSocketSendBatch::Mode::kPlainSends);
  Pair pair;
  Connect(pair, 0);
  uint8_t payload[100] = {};
  uint8_t out[1024];
  const WebSocketSendBatch::Frame inside{0, 100, parley::kWebSocketBinary};
  const WebSocketSendBatch::Frame outside{50, 51, parley::kWebSocketBinary};
  const WebSocketSendBatch::Frame frames[2] = {inside, inside};
  WebSocketSendBatch::Connection one{pair.near_end, 1, 0, 0, 0};
  WebSocketSendBatch::Connection two{pair.near_end, 2, 0, 0, 0};
  Check(Throws([&] { batch.Flush(payload, 100, &outside, 1, &one, 1, out, sizeof out); }), "a payload past the payload bytes is refused", 0);
  Check(Throws([&] { batch.Flush(payload, 100, frames, 2, &one, 1, out, sizeof out); }), "frames no connection holds are refused", 0);
  Check(Throws([&] { batch.Flush(payload, 100, &inside, 1, &two, 1, out, sizeof out); }), "a connection holding more frames than given is refused", 0);
  Check(Throws([&] { batch.Flush(payload, 100, &inside, 1, &one, 1, out, 105); }), "an out buffer too small is refused", 0);
  Check(ReadAvailable(pair.far_end).empty(), "nothing is sent for a refused batch", 0);
}

}  // namespace

int main() {
  HeaderSizes();
  FramesRoundTrip();
  for (const auto& [mode, name] : {std::pair{WebSocketSendBatch::Mode::kAuto, "io_uring"}, std::pair{WebSocketSendBatch::Mode::kPlainSends, "plain sends"}}) {
    BatchDelivers(mode, name);
    ClosedSocketSkipped(mode, name);
    FullSocketReportsItsPrefix(mode, name);
  }
  MoreConnectionsThanRingEntries();
  MalformedBatchesRefused();
  return parley_test::Finish("websocket-send-batch");
}
