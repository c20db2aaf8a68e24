/*
 * What the bot leg's write per frame per call would cost batched (docs/benchmarks.md, "The bot
 * leg's sends"): N loopback TCP connections, a thread draining their far ends, and a
 * sender that writes one 660-byte frame (a 16 kHz 20 ms Parley frame with its WebSocket header)
 * to every connection every 20 ms, either with one write() each, as Node does for each call's
 * socket, or with all of them in one io_uring_enter (IORING_OP_SEND, MSG_DONTWAIT), which only
 * native code can do. Prints the sender thread's CPU (user + system, the loopback delivery it
 * runs included) per frame over the last three quarters of the rounds. A measuring probe, not a
 * part of the node: built and run by hand.
 *
 *   cc -O2 -o /tmp/socket_write_batch bench/load/socket_write_batch.c -lpthread
 *   /tmp/socket_write_batch <connections> <rounds> <write|io_uring>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FRAME_BYTES 660
#define FRAME_NS 20000000L

static int connections;
static int* near_end;
static int* far_end;
static atomic_int stopping;

static void fail(const char* what) {
  perror(what);
  exit(1);
}

static void* drain(void* unused) {
  (void)unused;
  const int poller = epoll_create1(0);
  for (int i = 0; i < connections; i++) {
    struct epoll_event event = {.events = EPOLLIN, .data.fd = far_end[i]};
    if (epoll_ctl(poller, EPOLL_CTL_ADD, far_end[i], &event) < 0) fail("epoll_ctl");
  }
  static char sink[65536];
  struct epoll_event ready[256];
  while (!atomic_load(&stopping)) {
    const int count = epoll_wait(poller, ready, 256, 10);
    for (int i = 0; i < count; i++)
      while (read(ready[i].data.fd, sink, sizeof sink) > 0) {
      }
  }
  return NULL;
}

static double thread_cpu_us(void) {
  struct timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return (double)now.tv_sec * 1e6 + (double)now.tv_nsec / 1e3;
}

/* The submission and completion rings of one io_uring, mapped (one mapping: IORING_FEAT_SINGLE_MMAP). */
static struct {
  int fd;
  unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe* sqes;
  struct io_uring_cqe* cqes;
} ring;

static void ring_open(unsigned entries) {
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  ring.fd = (int)syscall(__NR_io_uring_setup, entries, &params);
  if (ring.fd < 0) fail("io_uring_setup");
  if (!(params.features & IORING_FEAT_SINGLE_MMAP)) {
    fprintf(stderr, "io_uring without IORING_FEAT_SINGLE_MMAP\n");
    exit(1);
  }
  const size_t sq_bytes = params.sq_off.array + params.sq_entries * sizeof(unsigned);
  const size_t cq_bytes = params.cq_off.cqes + params.cq_entries * sizeof(struct io_uring_cqe);
  char* rings = mmap(NULL, sq_bytes > cq_bytes ? sq_bytes : cq_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.fd, IORING_OFF_SQ_RING);
  if (rings == MAP_FAILED) fail("mmap rings");
  ring.sq_tail = (unsigned*)(rings + params.sq_off.tail);
  ring.sq_mask = (unsigned*)(rings + params.sq_off.ring_mask);
  ring.sq_array = (unsigned*)(rings + params.sq_off.array);
  ring.cq_head = (unsigned*)(rings + params.cq_off.head);
  ring.cq_tail = (unsigned*)(rings + params.cq_off.tail);
  ring.cq_mask = (unsigned*)(rings + params.cq_off.ring_mask);
  ring.cqes = (struct io_uring_cqe*)(rings + params.cq_off.cqes);
  ring.sqes = mmap(NULL, params.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.fd, IORING_OFF_SQES);
  if (ring.sqes == MAP_FAILED) fail("mmap sqes");
}

static void send_batched(const char* frame) {
  unsigned tail = *ring.sq_tail;
  for (int i = 0; i < connections; i++, tail++) {
    const unsigned slot = tail & *ring.sq_mask;
    struct io_uring_sqe* entry = &ring.sqes[slot];
    memset(entry, 0, sizeof *entry);
    entry->opcode = IORING_OP_SEND;
    entry->fd = near_end[i];
    entry->addr = (unsigned long)frame;
    entry->len = FRAME_BYTES;
    entry->msg_flags = MSG_DONTWAIT;
    ring.sq_array[slot] = slot;
  }
  atomic_store_explicit((_Atomic unsigned*)ring.sq_tail, tail, memory_order_release);
  if (syscall(__NR_io_uring_enter, ring.fd, connections, connections, IORING_ENTER_GETEVENTS, NULL, 0) < 0) fail("io_uring_enter");
  unsigned head = *ring.cq_head;
  const unsigned done = atomic_load_explicit((_Atomic unsigned*)ring.cq_tail, memory_order_acquire);
  for (; head != done; head++)
    if (ring.cqes[head & *ring.cq_mask].res != FRAME_BYTES) fprintf(stderr, "send: %d\n", ring.cqes[head & *ring.cq_mask].res);
  atomic_store_explicit((_Atomic unsigned*)ring.cq_head, head, memory_order_release);
}

int main(int argc, char** argv) {
  if (argc != 4 || (strcmp(argv[3], "write") != 0 && strcmp(argv[3], "io_uring") != 0)) {
    fprintf(stderr, "usage: socket_write_batch <connections> <rounds> <write|io_uring>\n");
    return 2;
  }
  connections = atoi(argv[1]);
  const int rounds = atoi(argv[2]);
  const int batched = strcmp(argv[3], "io_uring") == 0;
  if (connections < 1 || connections > 1000 || rounds < 4) fail("connections 1-1000, rounds >= 4");
  near_end = calloc((size_t)connections, sizeof(int));
  far_end = calloc((size_t)connections, sizeof(int));
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr*)&address, sizeof address) < 0 || listen(listener, 1024) < 0 ||
      getsockname(listener, (struct sockaddr*)&address, &length) < 0)
    fail("listen");
  for (int i = 0; i < connections; i++) {
    near_end[i] = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(near_end[i], (struct sockaddr*)&address, sizeof address) < 0) fail("connect");
    far_end[i] = accept(listener, NULL, NULL);
    const int on = 1;
    setsockopt(near_end[i], IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    fcntl(near_end[i], F_SETFL, O_NONBLOCK);
    fcntl(far_end[i], F_SETFL, O_NONBLOCK);
  }
  pthread_t drainer;
  pthread_create(&drainer, NULL, drain, NULL);
  static char frame[FRAME_BYTES];
  memset(frame, 1, sizeof frame);
  if (batched) ring_open(1024);
  struct timespec due;
  clock_gettime(CLOCK_MONOTONIC, &due);
  double counted_from = 0;
  for (int round = 0; round < rounds; round++) {
    if (round == rounds / 4) counted_from = thread_cpu_us();
    if (batched) {
      send_batched(frame);
    } else {
      for (int i = 0; i < connections; i++)
        if (write(near_end[i], frame, FRAME_BYTES) != FRAME_BYTES) fprintf(stderr, "short write\n");
    }
    due.tv_nsec += FRAME_NS;
    if (due.tv_nsec >= 1000000000L) {
      due.tv_sec++;
      due.tv_nsec -= 1000000000L;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
  }
  const double frames = (double)(rounds - rounds / 4) * connections;
  printf("{\"mode\":\"%s\",\"connections\":%d,\"cpu_us_per_frame\":%.2f}\n", argv[3], connections, (thread_cpu_us() - counted_from) / frames);
  atomic_store(&stopping, 1);
  pthread_join(drainer, NULL);
  return 0;
}
