// All media sessions of the process, driven from JS by one Tick per phase slot (the 20 ms frame
// split in `phase_slots`): one epoll pass drains every socket that has data, the sessions whose
// frames are due process them, and the events of all sessions come back in one flat array. RTP
// stays in C++. Sessions are spread over the slots, so at load a tick serves about 1/phase_slots
// of the calls and a frame waits for a slot's work, not for every call's: one tick over every
// call made the last call's frame ~a whole tick late at load. A slot takes `sessions_per_slot`
// sessions before the next one opens (a timer wakeup costs more than a few calls' work, so
// slots are opened only as the load needs them), in an order that keeps the open slots evenly
// spaced over the frame (0, 4, 2, 6, 1, ... of 8: each slot's tick has the most time before the
// next); a session that leaves frees its place for the next one. Once every slot holds
// `sessions_per_slot`, each new session joins the emptiest (0: always the emptiest).
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/epoll.h>

#include <memory>
#include <unordered_map>
#include <vector>

#include "media/media_refusal.h"
#include "media/media_session.h"
#include "media/session_event.h"

namespace parley {

class MediaEngine {
 public:
  // `phase_slots` ≥ 1 divides the frame length (kMaxPhaseSlots at most).
  explicit MediaEngine(int phase_slots = 1, size_t sessions_per_slot = 0);
  static constexpr int kMaxPhaseSlots = 20;
  ~MediaEngine();
  MediaEngine(const MediaEngine&) = delete;
  MediaEngine& operator=(const MediaEngine&) = delete;

  // Takes ownership; returns the session's id. Throws std::system_error if epoll refuses the socket.
  int32_t Add(const MediaSessionOptions& options, std::unique_ptr<NetworkLeg> leg, int64_t start_us);
  void Remove(int32_t id);
  MediaSession* Find(int32_t id);
  size_t size() const { return sessions_.size(); }
  int phase_slots() const { return phase_slots_; }

  // `now_us` and `realtime_offset_us` (CLOCK_REALTIME - CLOCK_MONOTONIC, to place kernel receive
  // timestamps on the monotonic clock) are parameters so tests can run on media time.
  // Events accumulate (from ticks and from packets JS hands over between ticks) until the
  // reader resets them.
  void Tick(int64_t now_us, int64_t realtime_offset_us);
  SessionEventSink& events() { return events_; }

  uint64_t datagrams_received() const { return datagrams_received_; }
  uint64_t datagrams_refused() const { return datagrams_refused_; }
  // Inbound datagrams refused by every session so far, live and removed, by MediaRefusal.
  void RefusedTotals(uint64_t totals[kMediaRefusalCount]) const;

 private:
  // Reads the session's RTP socket, or its RTCP one (an RTCP pair's).
  void Drain(MediaSession& session, bool rtcp, int64_t now_us, int64_t realtime_offset_us);
  int SlotForNewSession() const;
  void FlushQueued();

  static constexpr int kMaxEpollEvents = 4096;
  int epoll_fd_ = -1;
  int phase_slots_;
  size_t sessions_per_slot_;
  // The slots in the order they open: each next one in the middle of the widest gap left.
  int slot_order_[kMaxPhaseSlots];
  // Live sessions by phase slot (each session knows its own, to leave it on Remove), and the
  // earliest frame due among them (never later than it, so a slot skipped has nothing due): a
  // tick walks only the slots that are due, not every session of the engine (at load the 4-slot
  // default walked 4x the sessions it processed, through a hash map).
  std::vector<MediaSession*> slot_members_[kMaxPhaseSlots];
  int64_t slot_next_frame_us_[kMaxPhaseSlots];
  epoll_event ready_[kMaxEpollEvents];
  int32_t next_id_ = 1;
  std::unordered_map<int32_t, std::unique_ptr<MediaSession>> sessions_;
  std::vector<UdpSocket*> unflushed_;  // sockets with datagrams queued in this tick
  std::unique_ptr<ReceiveBatch> receive_batch_;  // every socket's reads land here in turn
  SessionEventSink events_;
  uint64_t datagrams_received_ = 0;
  uint64_t datagrams_refused_ = 0;
  uint64_t removed_refusals_[kMediaRefusalCount] = {0};
};

}  // namespace parley
