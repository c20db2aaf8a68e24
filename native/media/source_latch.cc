#include "media/source_latch.h"

namespace parley {

SourceLatch::SourceLatch(const SourceLatchConfig& config) : config_(config) {}

SourceVerdict SourceLatch::Evaluate(const SocketAddress& from, uint32_t ssrc, int64_t now_us,
                                    MediaRefusal* refusal) const {
  if (from.empty()) return latched_ ? SourceVerdict::kAccept : SourceVerdict::kLatch;
  if (latched_ && from.SameAs(source_)) return SourceVerdict::kAccept;
  if (!moved_from_.empty() && from.SameAs(moved_from_)) {
    *refusal = MediaRefusal::kForeignSource;
    return SourceVerdict::kRefuse;
  }
  const bool signalled = !config_.signalled.empty() && from.SameAs(config_.signalled);
  if (signalled) return SourceVerdict::kLatch;
  *refusal = latched_ ? MediaRefusal::kForeignSource : MediaRefusal::kUnsignalledSource;
  if (config_.strict) return SourceVerdict::kRefuse;
  if (!latched_) {
    if (config_.signalled.empty()) return SourceVerdict::kLatch;
    const bool window_over = first_seen_us_ >= 0 && now_us - first_seen_us_ >= config_.learning_window_us;
    return window_over ? Candidate(from, ssrc, kLearningPackets) : SourceVerdict::kRefuse;
  }
  const bool learning = !source_.SameAs(config_.signalled) && now_us - first_latched_us_ < config_.learning_window_us;
  const int64_t silence_us = learning ? kLearningSilenceUs : config_.relatch_silence_us;
  if (now_us - source_last_us_ < silence_us) return SourceVerdict::kRefuse;
  // A rebinding NAT keeps the sender's SSRC; only while learning may a different stream take over.
  if (!learning && ssrc != source_ssrc_) return SourceVerdict::kRefuse;
  return Candidate(from, ssrc, learning ? kLearningPackets : config_.relatch_packets);
}

SourceVerdict SourceLatch::Candidate(const SocketAddress& from, uint32_t ssrc, int packets_needed) const {
  const bool continues = candidate_packets_ > 0 && from.SameAs(candidate_) && ssrc == candidate_ssrc_;
  return (continues ? candidate_packets_ : 0) + 1 >= packets_needed ? SourceVerdict::kLatch : SourceVerdict::kCandidate;
}

void SourceLatch::Redirect(const SocketAddress& signalled) {
  config_.signalled = signalled;
  candidate_packets_ = 0;
  if (latched_ && source_.SameAs(signalled)) return;  // media stays where it was
  if (latched_) moved_from_ = source_;
  if (moved_from_.SameAs(signalled)) moved_from_ = SocketAddress{};  // moved back
  latched_ = false;
}

void SourceLatch::Seen(int64_t now_us) {
  if (first_seen_us_ < 0) first_seen_us_ = now_us;
}

bool SourceLatch::Apply(SourceVerdict verdict, const SocketAddress& from, uint32_t ssrc, int64_t now_us) {
  Seen(now_us);
  switch (verdict) {
    case SourceVerdict::kAccept:
      source_last_us_ = now_us;
      candidate_packets_ = 0;
      return false;
    case SourceVerdict::kCandidate:
      if (candidate_packets_ > 0 && from.SameAs(candidate_) && ssrc == candidate_ssrc_) {
        ++candidate_packets_;
      } else {
        candidate_ = from;
        candidate_ssrc_ = ssrc;
        candidate_packets_ = 1;
      }
      return false;
    case SourceVerdict::kLatch:
      if (latched_) ++relatches_;
      if (!latched_) first_latched_us_ = now_us;
      latched_ = true;
      source_ = from;
      source_ssrc_ = ssrc;
      source_last_us_ = now_us;
      candidate_packets_ = 0;
      return true;
    case SourceVerdict::kRefuse:
      return false;
  }
  return false;
}

}  // namespace parley
