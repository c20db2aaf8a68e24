#include "media/media_refusal.h"

namespace parley {

const char* MediaRefusalName(MediaRefusal refusal) {
  switch (refusal) {
    case MediaRefusal::kMalformed: return "malformed";
    case MediaRefusal::kSrtpFailed: return "srtp_failed";
    case MediaRefusal::kForeignSource: return "foreign_source";
    case MediaRefusal::kUnsignalledSource: return "unsignalled_source";
    case MediaRefusal::kSourceCandidate: return "source_candidate";
    case MediaRefusal::kForeignSsrc: return "foreign_ssrc";
    case MediaRefusal::kWrongPayloadType: return "wrong_payload_type";
  }
  return "unknown";
}

}  // namespace parley
