#include "media/media_engine.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <stdexcept>
#include <system_error>

namespace parley {
namespace {
// Bounds one session's share of a tick under a flood: later datagrams wait for the next tick.
constexpr int kMaxBatchesPerTick = 16;
// Sessions whose packets are sent back to back. On loopback (and for a peer process on the same
// host) each send also runs the receiver's wakeup; sends spaced by a session's processing wake a
// peer that has gone back to sleep every time, sends in a burst find it awake. 64 sessions of
// work (well under a millisecond) is all the delay this adds to a packet.
constexpr size_t kFlushEvery = 64;
constexpr uint64_t kRtcpTag = 1;
static_assert(alignof(MediaSession) > 1, "a session pointer's low bit tags its RTCP socket");
}  // namespace

MediaEngine::MediaEngine(int phase_slots, size_t sessions_per_slot)
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      phase_slots_(phase_slots),
      sessions_per_slot_(sessions_per_slot),
      receive_batch_(std::make_unique<ReceiveBatch>()) {
  if (phase_slots < 1 || phase_slots > kMaxPhaseSlots) {
    if (epoll_fd_ >= 0) close(epoll_fd_);
    throw std::invalid_argument("phase_slots must be 1 to 20");
  }
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  unflushed_.reserve(kFlushEvery);
  std::fill(slot_next_frame_us_, slot_next_frame_us_ + kMaxPhaseSlots, INT64_MAX);
  // The van der Corput sequence (0, 1/2, 1/4, 3/4, 1/8, ...) scaled to the slots, repeats
  // skipped: bit reversal for a power of two, and as even a spread as the count allows otherwise.
  bool taken[kMaxPhaseSlots] = {};
  int placed = 0;
  for (unsigned k = 0; placed < phase_slots_; ++k) {
    double fraction = 0;
    double weight = 0.5;
    for (unsigned bits = k; bits != 0; bits >>= 1, weight /= 2) fraction += (bits & 1) * weight;
    const int slot = static_cast<int>(fraction * phase_slots_);
    if (taken[slot]) continue;
    taken[slot] = true;
    slot_order_[placed++] = slot;
  }
}

int MediaEngine::SlotForNewSession() const {
  // The first slot in opening order with room; with none, the emptiest (ties in opening order too).
  int emptiest = slot_order_[0];
  for (int i = 0; i < phase_slots_; ++i) {
    const int slot = slot_order_[i];
    if (slot_members_[slot].size() < sessions_per_slot_) return slot;
    if (slot_members_[slot].size() < slot_members_[emptiest].size()) emptiest = slot;
  }
  return emptiest;
}

MediaEngine::~MediaEngine() {
  sessions_.clear();
  close(epoll_fd_);
}

int32_t MediaEngine::Add(const MediaSessionOptions& options, std::unique_ptr<NetworkLeg> leg, int64_t start_us) {
  const int32_t id = next_id_++;
  const int slot = SlotForNewSession();
  const int64_t phase_us = static_cast<int64_t>(options.frame_ms) * 1000 / phase_slots_ * slot;
  auto session = std::make_unique<MediaSession>(id, options, std::move(leg), start_us, phase_us, slot);
  for (UdpSocket* socket : {session->leg().socket(), session->leg().rtcp_socket()}) {
    if (socket == nullptr) continue;
    epoll_event event{};
    event.events = EPOLLIN;
    // The session, and in its pointer's low bit (free: sessions are aligned) which of its sockets
    // is ready: only that one is read (an RTCP pair's other socket would answer EAGAIN).
    event.data.u64 = reinterpret_cast<uintptr_t>(session.get()) | (socket == session->leg().rtcp_socket() ? kRtcpTag : 0);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket->fd(), &event) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
  }
  slot_members_[slot].push_back(session.get());
  slot_next_frame_us_[slot] = std::min(slot_next_frame_us_[slot], session->next_frame_us());
  sessions_.emplace(id, std::move(session));
  return id;
}

void MediaEngine::Remove(int32_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  for (UdpSocket* socket : {it->second->leg().socket(), it->second->leg().rtcp_socket()}) {
    if (socket != nullptr) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, socket->fd(), nullptr);
  }
  it->second->leg().AddRefusals(removed_refusals_);
  std::vector<MediaSession*>& members = slot_members_[it->second->phase_slot()];
  *std::find(members.begin(), members.end(), it->second.get()) = members.back();
  members.pop_back();
  sessions_.erase(it);
}

void MediaEngine::RefusedTotals(uint64_t totals[kMediaRefusalCount]) const {
  for (size_t i = 0; i < kMediaRefusalCount; ++i) totals[i] = removed_refusals_[i];
  for (const auto& [id, session] : sessions_) session->leg().AddRefusals(totals);
}

MediaSession* MediaEngine::Find(int32_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void MediaEngine::Drain(MediaSession& session, bool rtcp, int64_t now_us, int64_t realtime_offset_us) {
  NetworkLeg& leg = session.leg();
  ReceiveBatch& batch = *receive_batch_;
  UdpSocket* socket = rtcp ? leg.rtcp_socket() : leg.socket();
  if (socket == nullptr) return;
  for (int round = 0; round < kMaxBatchesPerTick; ++round) {
    const size_t count = socket->Receive(batch);
    for (size_t i = 0; i < count; ++i) {
      const int64_t arrival_us =
          batch[i].kernel_realtime_us != 0 ? batch[i].kernel_realtime_us - realtime_offset_us : now_us;
      if (rtcp) {
        leg.OnRtcpDatagram(batch[i].data, batch[i].length, *batch[i].from, arrival_us, events_, session.id());
      } else {
        leg.OnDatagram(batch[i].data, batch[i].length, *batch[i].from, arrival_us, events_, session.id());
      }
    }
    datagrams_received_ += count;
    if (count < ReceiveBatch::kSize) break;
  }
}

void MediaEngine::Tick(int64_t now_us, int64_t realtime_offset_us) {
  // Level-triggered: a socket not reached in this pass (more ready than kMaxEpollEvents) is
  // reported again next tick.
  const int count = epoll_wait(epoll_fd_, ready_, kMaxEpollEvents, 0);
  for (int i = 0; i < count; ++i) {
    const uint64_t tagged = ready_[i].data.u64;
    Drain(*reinterpret_cast<MediaSession*>(tagged & ~kRtcpTag), (tagged & kRtcpTag) != 0, now_us, realtime_offset_us);
  }
  // Usually one slot is due; after a stall, every slot whose frames fell due by now, the longest
  // due first: in slot order a stall's oldest frames could wait for the whole backlog's work on
  // top of the stall (at 290 PCMU calls, ~1.7 ms of work per slot, a 10 ms stall's four slots
  // held its first frames ~17 ms instead of ~12), and past 20 ms the far end counts them late.
  int due[kMaxPhaseSlots];
  int due_count = 0;
  for (int slot = 0; slot < phase_slots_; ++slot) {
    if (slot_next_frame_us_[slot] > now_us) continue;
    int at = due_count++;
    for (; at > 0 && slot_next_frame_us_[due[at - 1]] > slot_next_frame_us_[slot]; --at) due[at] = due[at - 1];
    due[at] = slot;
  }
  for (int k = 0; k < due_count; ++k) {
    const int slot = due[k];
    int64_t next_frame_us = INT64_MAX;
    for (MediaSession* session : slot_members_[slot]) {
      if (session->next_frame_us() <= now_us) {
        session->Tick(now_us, events_);
        for (UdpSocket* socket : {session->leg().socket(), session->leg().rtcp_socket()}) {
          if (socket == nullptr || !socket->has_queued()) continue;
          unflushed_.push_back(socket);
          if (unflushed_.size() == kFlushEvery) FlushQueued();
        }
      }
      next_frame_us = std::min(next_frame_us, session->next_frame_us());
    }
    slot_next_frame_us_[slot] = next_frame_us;
  }
  FlushQueued();
}

void MediaEngine::FlushQueued() {
  for (UdpSocket* socket : unflushed_) datagrams_refused_ += socket->Flush();
  unflushed_.clear();
}

}  // namespace parley
