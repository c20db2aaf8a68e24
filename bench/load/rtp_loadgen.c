/*
 * RTP load generator for `npm run bench -- load`. Runs in its own process beside the node under
 * test. For each call it sends one RTP packet every 20 ms (payloads read from a file: pre-encoded
 * PCMU or Opus frames), receives the node's packets, and counts those that arrive more than one
 * frame later than their RTP timestamp says they should. Arrival is the kernel's receive time
 * (SO_TIMESTAMPNS: on loopback, when the node sent it), so a generator that is itself descheduled
 * for a while does not blame the node for it. Written in C because a Node dgram loop tops out
 * near the packet rate being measured (~82k packets/s here): the generator must not be the
 * bottleneck. On a small machine it shares the node's cores, so it spends as little CPU as it
 * can and never wakes for the node: every call sends from and receives on one socket (the node's
 * calls latch onto it as onto any peer; their packets are told apart by the node's port they come
 * from); once per frame, on an absolute monotonic deadline (clock_nanosleep: no spinning), it
 * sends the frame's packets in sendmmsg batches and reads what the node sent since in recvmmsg
 * batches. The node's packets wait in the socket meanwhile, which changes nothing (their arrival
 * is the kernel's timestamp) but spares the node the generator's wakeup per packet, a cost that
 * loopback charges to the sender and that a peer across a network never does.
 *
 * usage: rtp_loadgen <ports_file> <calls> <seconds> <payload_type> <samples_per_frame> <clock_hz> <frames_file> <warmup_seconds>
 *   ports_file: the node's RTP port of each call on 127.0.0.1, one per line (a media worker binds
 *   any free port, so they are not consecutive).
 *   frames_file: repeated [u16 big-endian length][payload] records, looped.
 *   Packets sent or received in the first warmup_seconds are not counted (sessions latching,
 *   the node's JIT warming up); the timing anchor is still taken from them.
 * Prints one JSON line, about the counted window:
 *   sent, received, late, late_pct: packets;
 *   dropped: the node's packets this generator's socket dropped (its buffer full: the
 *     generator's fault, not the node's);
 *   late_windows: 20 ms windows holding a late packet; late_calls: calls with one;
 *     late_window_calls_max: the most calls late in one window (a stall of the node shows as few
 *     windows with many calls each, a node too slow for its calls as many windows);
 *   send_late_p99_us, send_late_max_us: how late this generator sent its frames;
 *   cpu_us: its own CPU time (whole run); runqueue_wait_us: how long it waited for a core.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 4096
#define MAX_PAYLOAD 1400
#define RTP_HEADER 12
/* Messages per sendmmsg/recvmmsg call (the kernel takes up to UIO_MAXIOV = 1024). */
#define BATCH 256
/* Every call's packets wait in one socket for up to a frame: room for a long stall of this
   generator too before the kernel drops any (granted past net.core.rmem_max to root only). */
#define RECEIVE_BUFFER_BYTES (64 << 20)
#define MAX_PORT 65536

typedef struct {
  uint16_t seq;
  uint32_t timestamp;
  int have_first;
  uint32_t first_ts;
  int64_t first_us;
  uint64_t received;
  uint64_t late;
  /* The last 20 ms window it was late in (each call counts once per window). */
  int64_t last_late_window;
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

/* How long this thread has waited on a run queue, µs (/proc/thread-self/schedstat's second field). */
static int64_t runqueue_wait_us(void) {
  FILE* f = fopen("/proc/thread-self/schedstat", "r");
  unsigned long long on_cpu_ns = 0, waited_ns = 0;
  if (f) {
    if (fscanf(f, "%llu %llu", &on_cpu_ns, &waited_ns) != 2) waited_ns = 0;
    fclose(f);
  }
  return (int64_t)(waited_ns / 1000);
}

static void load_ports(const char* path, int* ports, int calls) {
  FILE* f = fopen(path, "r");
  if (!f) { perror(path); exit(2); }
  for (int i = 0; i < calls; i++) {
    if (fscanf(f, "%d", &ports[i]) != 1 || ports[i] < 1 || ports[i] >= MAX_PORT) { fprintf(stderr, "bad ports file\n"); exit(2); }
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

static int compare_i64(const void* a, const void* b) {
  const int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x > y) - (x < y);
}

/* The run: its calls, their sockets' peer, and what is counted in its window. */
typedef struct {
  int calls;
  Call* call;
  struct sockaddr_in* target;
  int32_t* call_of_port;
  int fd;
  int payload_type;
  uint32_t samples_per_frame;
  int clock_hz;
  int64_t frame_us;
  int64_t offset_us;
  int64_t count_from;
  int64_t end;
  uint64_t frame_index;
  uint64_t sent;
  uint32_t dropped;
  size_t windows;
  uint32_t* late_in_window;
  uint32_t* calls_late_in_window;
} Run;

/* One frame of every call, in sendmmsg batches. */
static void send_frame(Run* run, int counted) {
  static uint8_t out[BATCH][RTP_HEADER + MAX_PAYLOAD];
  static struct iovec iov[BATCH];
  static struct mmsghdr msg[BATCH];
  for (int first = 0; first < run->calls; first += BATCH) {
    const int count = run->calls - first < BATCH ? run->calls - first : BATCH;
    for (int k = 0; k < count; k++) {
      const int i = first + k;
      Call* c = &run->call[i];
      /* Each call starts at its own point of the recording: N callers do not speak in unison,
         and a node's per-frame cost (speech vs pauses, Opus's bitrate) varies with what it is fed. */
      const size_t index = (run->frame_index + (size_t)i * frame_count / (size_t)run->calls) % frame_count;
      uint8_t* packet = out[k];
      packet[0] = 0x80;
      packet[1] = (uint8_t)run->payload_type;
      packet[2] = (uint8_t)(c->seq >> 8);
      packet[3] = (uint8_t)c->seq;
      const uint32_t ts = htonl(c->timestamp), ssrc = htonl(0x10000u + (uint32_t)i);
      memcpy(packet + 4, &ts, 4);
      memcpy(packet + 8, &ssrc, 4);
      memcpy(packet + RTP_HEADER, frames[index], frame_len[index]);
      iov[k] = (struct iovec){.iov_base = packet, .iov_len = RTP_HEADER + frame_len[index]};
      msg[k].msg_hdr = (struct msghdr){.msg_name = &run->target[i], .msg_namelen = sizeof(run->target[i]), .msg_iov = &iov[k], .msg_iovlen = 1};
      c->seq++;
      c->timestamp += run->samples_per_frame;
    }
    for (int done = 0; done < count;) {
      const int n = sendmmsg(run->fd, msg + done, (unsigned)(count - done), 0);
      /* A datagram the kernel refused: skipped, as a lone sendto's would be. */
      if (n <= 0) {
        done++;
        continue;
      }
      if (counted) run->sent += (uint64_t)n;
      done += n;
    }
  }
  run->frame_index++;
}

/* Checks one of the node's packets, which the kernel received at `arrival_us`, against its call's
   RTP clock. */
static void check(Run* run, const uint8_t* packet, size_t length, uint16_t from_port, int64_t arrival_us) {
  const int index = run->call_of_port[from_port];
  if (length < RTP_HEADER || index < 0) return;
  Call* c = &run->call[index];
  uint32_t ts;
  memcpy(&ts, packet + 4, 4);
  ts = ntohl(ts);
  const int counted = arrival_us >= run->count_from && arrival_us < run->end;
  c->received += (uint64_t)counted;
  if (!c->have_first) {
    c->have_first = 1;
    c->first_ts = ts;
    c->first_us = arrival_us;
    return;
  }
  /* Where the RTP clock says this packet belongs, relative to the first one. */
  const int64_t expected = c->first_us + (int64_t)(uint32_t)(ts - c->first_ts) * 1000000 / run->clock_hz;
  if (counted && arrival_us - expected > run->frame_us) {
    c->late++;
    const size_t window = (size_t)((arrival_us - run->count_from) / run->frame_us);
    if (window < run->windows) {
      run->late_in_window[window]++;
      if (c->last_late_window != (int64_t)window) run->calls_late_in_window[window]++;
      c->last_late_window = (int64_t)window;
    }
  }
  /* Re-anchor on early packets so a late first packet does not hide later lateness. */
  if (arrival_us < expected) {
    c->first_ts = ts;
    c->first_us = arrival_us;
  }
}

/* Reads every packet the node sent since the last call, in recvmmsg batches. */
static void drain(Run* run) {
  static uint8_t in[BATCH][2048];
  static struct iovec iov[BATCH];
  static struct mmsghdr msg[BATCH];
  static struct sockaddr_in from[BATCH];
  enum { CONTROL_BYTES = CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)) };
  static union { char bytes[CONTROL_BYTES]; struct cmsghdr align; } control[BATCH];
  for (;;) {
    for (int k = 0; k < BATCH; k++) {
      iov[k] = (struct iovec){.iov_base = in[k], .iov_len = sizeof(in[k])};
      msg[k].msg_hdr = (struct msghdr){.msg_name = &from[k], .msg_namelen = sizeof(from[k]), .msg_iov = &iov[k], .msg_iovlen = 1,
                                       .msg_control = control[k].bytes, .msg_controllen = sizeof(control[k].bytes)};
    }
    const int n = recvmmsg(run->fd, msg, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) return;
    const int64_t read_us = now_us();
    for (int k = 0; k < n; k++) {
      int64_t arrival_us = read_us;
      for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg[k].msg_hdr); c != NULL; c = CMSG_NXTHDR(&msg[k].msg_hdr, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec t;
          memcpy(&t, CMSG_DATA(c), sizeof(t));
          arrival_us = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000 - run->offset_us;
        } else if (c->cmsg_type == SO_RXQ_OVFL) {
          memcpy(&run->dropped, CMSG_DATA(c), sizeof(run->dropped));
        }
      }
      check(run, in[k], msg[k].msg_len, ntohs(from[k].sin_port), arrival_us);
    }
    if (n < BATCH) return;
  }
}

static void sleep_until(int64_t due_us) {
  const struct timespec due = {.tv_sec = due_us / 1000000, .tv_nsec = (due_us % 1000000) * 1000};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR) {
  }
}

int main(int argc, char** argv) {
  if (argc != 9) { fprintf(stderr, "usage: see source\n"); return 2; }
  Run run = {.calls = atoi(argv[2])};
  if (run.calls < 1) { fprintf(stderr, "calls must be positive\n"); return 2; }
  int* ports = calloc((size_t)run.calls, sizeof(int));
  load_ports(argv[1], ports, run.calls);
  const double seconds = atof(argv[3]);
  run.payload_type = atoi(argv[4]);
  run.samples_per_frame = (uint32_t)atoi(argv[5]);
  run.clock_hz = atoi(argv[6]);
  load_frames(argv[7]);
  const double warmup_seconds = atof(argv[8]);

  run.call_of_port = malloc(MAX_PORT * sizeof(int32_t));
  for (int p = 0; p < MAX_PORT; p++) run.call_of_port[p] = -1;
  run.call = calloc((size_t)run.calls, sizeof(Call));
  run.target = calloc((size_t)run.calls, sizeof(struct sockaddr_in));
  for (int i = 0; i < run.calls; i++) {
    run.call_of_port[ports[i]] = i;
    run.target[i].sin_family = AF_INET;
    run.target[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    run.target[i].sin_port = htons((uint16_t)ports[i]);
    run.call[i].seq = (uint16_t)(i * 7919);
    run.call[i].timestamp = (uint32_t)i * 104729u;
    run.call[i].last_late_window = -1;
  }

  run.fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in local = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (run.fd < 0 || bind(run.fd, (struct sockaddr*)&local, sizeof(local)) != 0) { perror("bind"); return 2; }
  const int on = 1, buffer = RECEIVE_BUFFER_BYTES;
  if (setsockopt(run.fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer)) != 0) setsockopt(run.fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  setsockopt(run.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  setsockopt(run.fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));

  run.frame_us = (int64_t)run.samples_per_frame * 1000000 / run.clock_hz;
  run.offset_us = realtime_offset_us();
  const int64_t start = now_us();
  run.end = start + (int64_t)(seconds * 1e6);
  run.count_from = start + (int64_t)(warmup_seconds * 1e6);
  run.windows = (size_t)((run.end - run.count_from) / run.frame_us) + 1;
  run.late_in_window = calloc(run.windows, sizeof(uint32_t));
  run.calls_late_in_window = calloc(run.windows, sizeof(uint32_t));
  int64_t* send_late = calloc(run.windows + 1, sizeof(int64_t));
  size_t rounds = 0;
  int64_t wait_from_us = 0;
  uint32_t dropped_before = 0;

  /* After a stall of this process the missed frames go out at once, as a network would deliver them. */
  for (int64_t due = start; due < run.end; due += run.frame_us) {
    sleep_until(due);
    const int64_t now = now_us();
    const int counted = due >= run.count_from;
    if (counted && rounds == 0) {
      wait_from_us = runqueue_wait_us();
      dropped_before = run.dropped;
    }
    if (counted && rounds <= run.windows) send_late[rounds++] = now - due;
    send_frame(&run, counted);
    drain(&run);
  }
  sleep_until(run.end);
  drain(&run);
  const int64_t waited_us = rounds > 0 ? runqueue_wait_us() - wait_from_us : 0;

  uint64_t received = 0, late = 0, late_calls = 0, late_windows = 0, window_calls_max = 0;
  for (int i = 0; i < run.calls; i++) {
    received += run.call[i].received;
    late += run.call[i].late;
    late_calls += run.call[i].late > 0;
  }
  for (size_t w = 0; w < run.windows; w++) {
    late_windows += run.late_in_window[w] > 0;
    if (run.calls_late_in_window[w] > window_calls_max) window_calls_max = run.calls_late_in_window[w];
  }
  qsort(send_late, rounds, sizeof(int64_t), compare_i64);
  const int64_t send_late_p99 = rounds ? send_late[(rounds * 99) / 100] : 0;
  const int64_t send_late_max = rounds ? send_late[rounds - 1] : 0;
  close(run.fd);
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  const long long cpu_us = (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
  printf("{\"sent\":%llu,\"received\":%llu,\"late\":%llu,\"late_pct\":%.4f,\"dropped\":%u,\"late_windows\":%llu,\"late_calls\":%llu,"
         "\"late_window_calls_max\":%llu,\"send_late_p99_us\":%lld,\"send_late_max_us\":%lld,\"cpu_us\":%lld,\"runqueue_wait_us\":%lld}\n",
         (unsigned long long)run.sent, (unsigned long long)received, (unsigned long long)late, received ? 100.0 * (double)late / (double)received : 100.0,
         run.dropped - dropped_before, (unsigned long long)late_windows, (unsigned long long)late_calls, (unsigned long long)window_calls_max,
         (long long)send_late_p99, (long long)send_late_max, cpu_us, (long long)waited_us);
  return 0;
}
