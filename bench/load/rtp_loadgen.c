/*
 * RTP load generator for `npm run bench -- load`. Runs in its own process (pinned to its own
 * core by the bench) so the node under test is measured alone. For each call it sends one RTP
 * packet every 20 ms (payloads read from a file: pre-encoded PCMU or Opus frames), receives the
 * node's packets, and counts those that arrive more than one frame later than their RTP
 * timestamp says they should. Arrival is the kernel's receive time (SO_TIMESTAMPNS), so a
 * generator that is itself descheduled for a while does not blame the node for it. Written in C because a Node dgram loop tops out near the packet
 * rate being measured (~82k packets/s here): the generator must not be the bottleneck.
 *
 * usage: rtp_loadgen <ports_file> <calls> <seconds> <payload_type> <samples_per_frame> <clock_hz> <frames_file> <warmup_seconds>
 *   ports_file: the node's RTP port of each call on 127.0.0.1, one per line (a media worker binds
 *   any free port, so they are not consecutive).
 *   frames_file: repeated [u16 big-endian length][payload] records, looped.
 *   Packets sent or received in the first warmup_seconds are not counted (sessions latching,
 *   the node's JIT warming up); the timing anchor is still taken from them.
 * Prints one JSON line: {"sent":..,"received":..,"late":..,"late_pct":..,"cpu_us":..}: cpu_us is
 * the generator's own CPU time (on a small machine it shares the cores with the node).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 4096
#define MAX_PAYLOAD 1400

typedef struct {
  int fd;
  struct sockaddr_in target;
  uint16_t seq;
  uint32_t timestamp;
  int have_first;
  uint32_t first_ts;
  int64_t first_us;
  uint64_t received;
  uint64_t late;
} Call;

static int64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, to put kernel receive timestamps on the monotonic clock. */
static int64_t realtime_offset_us(void) {
  struct timespec real, mono;
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  return ((int64_t)real.tv_sec - mono.tv_sec) * 1000000 + (real.tv_nsec - mono.tv_nsec) / 1000;
}

/* Receives one datagram; *arrival_us is when the kernel got it (monotonic), or now if unknown. */
static ssize_t receive(int fd, uint8_t* buffer, size_t capacity, int64_t offset_us, int64_t* arrival_us) {
  struct iovec iov = {.iov_base = buffer, .iov_len = capacity};
  union { char bytes[CMSG_SPACE(sizeof(struct timespec))]; struct cmsghdr align; } control;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof(control.bytes)};
  const ssize_t got = recvmsg(fd, &msg, 0);
  *arrival_us = now_us();
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); got >= 0 && c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec t;
      memcpy(&t, CMSG_DATA(c), sizeof(t));
      *arrival_us = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 - offset_us;
    }
  }
  return got;
}

static void load_ports(const char* path, int* ports, int calls) {
  FILE* f = fopen(path, "r");
  if (!f) { perror(path); exit(2); }
  for (int i = 0; i < calls; i++) {
    if (fscanf(f, "%d", &ports[i]) != 1 || ports[i] < 1 || ports[i] > 65535) { fprintf(stderr, "bad ports file\n"); exit(2); }
  }
  fclose(f);
}

static size_t frame_count;
static uint16_t frame_len[MAX_FRAMES];
static uint8_t frames[MAX_FRAMES][MAX_PAYLOAD];

static void load_frames(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  uint8_t len_bytes[2];
  while (frame_count < MAX_FRAMES && fread(len_bytes, 1, 2, f) == 2) {
    uint16_t len = (uint16_t)((len_bytes[0] << 8) | len_bytes[1]);
    if (len > MAX_PAYLOAD || fread(frames[frame_count], 1, len, f) != len) { fprintf(stderr, "bad frames file\n"); exit(2); }
    frame_len[frame_count++] = len;
  }
  fclose(f);
  if (frame_count == 0) { fprintf(stderr, "no frames\n"); exit(2); }
}

int main(int argc, char** argv) {
  if (argc != 9) { fprintf(stderr, "usage: see source\n"); return 2; }
  const int calls = atoi(argv[2]);
  if (calls < 1) { fprintf(stderr, "calls must be positive\n"); return 2; }
  int* ports = calloc((size_t)calls, sizeof(int));
  load_ports(argv[1], ports, calls);
  const double seconds = atof(argv[3]);
  const int payload_type = atoi(argv[4]);
  const uint32_t samples_per_frame = (uint32_t)atoi(argv[5]);
  const int clock_hz = atoi(argv[6]);
  load_frames(argv[7]);
  const double warmup_seconds = atof(argv[8]);

  Call* call = calloc((size_t)calls, sizeof(Call));
  int ep = epoll_create1(0);
  for (int i = 0; i < calls; i++) {
    call[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(call[i].fd, (struct sockaddr*)&local, sizeof(local)) != 0) { perror("bind"); return 2; }
    const int on = 1;
    setsockopt(call[i].fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
    call[i].target.sin_family = AF_INET;
    call[i].target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    call[i].target.sin_port = htons((uint16_t)ports[i]);
    call[i].seq = (uint16_t)(i * 7919);
    call[i].timestamp = (uint32_t)i * 104729u;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, call[i].fd, &ev);
  }

  const int64_t frame_us = (int64_t)samples_per_frame * 1000000 / clock_hz;
  const int64_t offset_us = realtime_offset_us();
  const int64_t start = now_us();
  const int64_t end = start + (int64_t)(seconds * 1e6);
  const int64_t count_from = start + (int64_t)(warmup_seconds * 1e6);
  int64_t next_send = start;
  uint64_t sent = 0, frame_index = 0;
  uint8_t packet[12 + MAX_PAYLOAD];
  uint8_t in[2048];
  struct epoll_event ready[256];

  while (now_us() < end) {
    int64_t now = now_us();
    if (now >= next_send) {
      for (int i = 0; i < calls; i++) {
        /* Each call starts at its own point of the recording: N callers do not speak in unison,
           and a node's per-frame cost (speech vs pauses, Opus's bitrate) varies with what it is fed. */
        const size_t index = (frame_index + (size_t)i * frame_count / (size_t)calls) % frame_count;
        const uint8_t* payload = frames[index];
        const uint16_t len = frame_len[index];
        packet[0] = 0x80;
        packet[1] = (uint8_t)payload_type;
        packet[2] = (uint8_t)(call[i].seq >> 8);
        packet[3] = (uint8_t)call[i].seq;
        uint32_t ts = htonl(call[i].timestamp), ssrc = htonl(0x10000u + (uint32_t)i);
        memcpy(packet + 4, &ts, 4);
        memcpy(packet + 8, &ssrc, 4);
        memcpy(packet + 12, payload, len);
        if (sendto(call[i].fd, packet, 12u + len, 0, (struct sockaddr*)&call[i].target, sizeof(call[i].target)) > 0 &&
            now >= count_from) {
          sent++;
        }
        call[i].seq++;
        call[i].timestamp += samples_per_frame;
      }
      frame_index++;
      next_send += frame_us;
    }
    int wait_ms = (int)((next_send - now_us()) / 1000);
    int n = epoll_wait(ep, ready, 256, wait_ms > 0 ? wait_ms : 0);
    for (int k = 0; k < n; k++) {
      Call* c = &call[ready[k].data.u32];
      int64_t arrival;
      while (receive(c->fd, in, sizeof(in), offset_us, &arrival) >= 12) {
        uint32_t ts;
        memcpy(&ts, in + 4, 4);
        ts = ntohl(ts);
        const int counted = arrival >= count_from;
        c->received += (uint64_t)counted;
        if (!c->have_first) {
          c->have_first = 1;
          c->first_ts = ts;
          c->first_us = arrival;
          continue;
        }
        /* Where the RTP clock says this packet belongs, relative to the first one. */
        const int64_t expected = c->first_us + (int64_t)(uint32_t)(ts - c->first_ts) * 1000000 / clock_hz;
        if (counted && arrival - expected > frame_us) c->late++;
        /* Re-anchor on early packets so a late first packet does not hide later lateness. */
        if (arrival < expected) { c->first_ts = ts; c->first_us = arrival; }
      }
    }
  }
  uint64_t received = 0, late = 0;
  for (int i = 0; i < calls; i++) { received += call[i].received; late += call[i].late; close(call[i].fd); }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  const long long cpu_us = (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
  printf("{\"sent\":%llu,\"received\":%llu,\"late\":%llu,\"late_pct\":%.4f,\"cpu_us\":%lld}\n", (unsigned long long)sent,
         (unsigned long long)received, (unsigned long long)late, received ? 100.0 * (double)late / (double)received : 100.0, cpu_us);
  return 0;
}
