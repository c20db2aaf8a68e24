// JS face of MediaEngine. The tick copies the events of all sessions, and every caller frame they
// produced, into two typed arrays that JS allocated once and handed over at construction: one
// crossing per 20 ms for the whole process, whatever the number of calls.
#include <napi.h>

#include <time.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_set>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "addon/session_options.h"
#include "media/media_counters.h"
#include "media/media_engine.h"
#include "rtp/srtp_profile.h"
#include "media/pcm_leg.h"
#include "media/rtp_leg.h"

namespace parley::addon {
namespace {

int64_t ClockUs(clockid_t clock) {
  timespec now;
  clock_gettime(clock, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
}

// readCounters' slots after the session counters (media_counters.h).
constexpr const char* kEngineCounterNames[] = {
    "datagramsReceived",     // UDP datagrams read from every session's socket
    "datagramsSendRefused",  // outbound datagrams the kernel refused (sendmmsg short)
    "eventsDropped",         // session events lost to a full native event sink
    "eventsTruncated",       // session events lost to a full JS events array
    "audioOverflows",        // caller frames lost to a full JS audio array
    "liveSessions",          // gauge
    "jitterDelayMeanMs",     // gauge, live RTP sessions
    "jitterDelayMaxMs",      // gauge, live RTP sessions
};
constexpr size_t kEngineCounterCount = sizeof(kEngineCounterNames) / sizeof(kEngineCounterNames[0]);
constexpr size_t kCounterCount = kSessionCounterCount + kEngineCounterCount;

class MediaEngineBinding : public Napi::ObjectWrap<MediaEngineBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "MediaEngine",
                       {
                           InstanceMethod("createRtpSession", &MediaEngineBinding::CreateRtpSession),
                           InstanceMethod("createPcmSession", &MediaEngineBinding::CreatePcmSession),
                           InstanceMethod("remove", &MediaEngineBinding::Remove),
                           InstanceMethod("tick", &MediaEngineBinding::Tick),
                           InstanceMethod("pushBotAudio", &MediaEngineBinding::PushBotAudio),
                           InstanceMethod("mark", &MediaEngineBinding::Mark),
                           InstanceMethod("clear", &MediaEngineBinding::Clear),
                           InstanceMethod("sendDtmf", &MediaEngineBinding::SendDtmf),
                           InstanceMethod("setRemote", &MediaEngineBinding::SetRemote),
                           InstanceMethod("redirect", &MediaEngineBinding::Redirect),
                           InstanceMethod("rekeyRemote", &MediaEngineBinding::RekeyRemote),
                           InstanceMethod("switchCodec", &MediaEngineBinding::SwitchCodec),
                           InstanceMethod("setSrtp", &MediaEngineBinding::SetSrtp),
                           InstanceMethod("replaceLeg", &MediaEngineBinding::ReplaceLeg),
                           InstanceMethod("ingest", &MediaEngineBinding::Ingest),
                           InstanceMethod("takeOutboundPackets", &MediaEngineBinding::TakeOutboundPackets),
                           InstanceMethod("pushCallerPcm", &MediaEngineBinding::PushCallerPcm),
                           InstanceMethod("takeOutboundPcm", &MediaEngineBinding::TakeOutboundPcm),
                           InstanceMethod("setPaused", &MediaEngineBinding::SetPaused),
                           InstanceMethod("stats", &MediaEngineBinding::Stats),
                           InstanceMethod("queuedBotSamples", &MediaEngineBinding::QueuedBotSamples),
                           InstanceMethod("refusedTotals", &MediaEngineBinding::RefusedTotals),
                           InstanceMethod("readCounters", &MediaEngineBinding::ReadCounters),
                           StaticMethod("counterNames", &MediaEngineBinding::CounterNames),
                           StaticMethod("monotonicUs", &MediaEngineBinding::MonotonicUs),
                           StaticMethod("refusalReasons", &MediaEngineBinding::RefusalReasons),
                       });
  }

  // new MediaEngine(events: Int32Array, audio: Int16Array, phaseSlots?: number, sessionsPerSlot?: number)
  explicit MediaEngineBinding(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<MediaEngineBinding>(info), engine_(PhaseSlotsArg(info), SessionsPerSlotArg(info)) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int16_array) {
      throw MakeError(env, kInvalidArgument, "MediaEngine(events: Int32Array, audio: Int16Array)");
    }
    events_ref_ = Napi::Persistent(info[0].As<Napi::Int32Array>());
    audio_ref_ = Napi::Persistent(info[1].As<Napi::Int16Array>());
  }

 private:
  static int PhaseSlotsArg(const Napi::CallbackInfo& info) {
    if (info.Length() < 3 || info[2].IsUndefined()) return 1;
    return static_cast<int>(IntegerArg(info, 2, 1, MediaEngine::kMaxPhaseSlots, "phaseSlots"));
  }

  static size_t SessionsPerSlotArg(const Napi::CallbackInfo& info) {
    if (info.Length() < 4 || info[3].IsUndefined()) return 0;
    return static_cast<size_t>(IntegerArg(info, 3, 0, 1'000'000, "sessionsPerSlot"));
  }

  // The created session's id and phase slot on `result`.
  void SetCreated(Napi::Object result, int32_t id) {
    result.Set("id", id);
    result.Set("phaseSlot", engine_.Find(id)->phase_slot());
  }

  MediaSession& SessionArg(const Napi::CallbackInfo& info) {
    MediaSession* session = engine_.Find(static_cast<int32_t>(IntegerArg(info, 0, 1, INT32_MAX, "session id")));
    if (session == nullptr) throw MakeError(info.Env(), kInvalidState, "no such media session");
    return *session;
  }

  Napi::Value CreateRtpSession(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options = ObjectArg(info, 0);
    const MediaSessionOptions session_options = ParseSessionOptions(env, options);
    RtpLegOptions leg_options = ParseRtpLegOptions(env, options, session_options.bot_rate_hz);
    std::unique_ptr<RtpLeg> leg;
    try {
      leg = std::make_unique<RtpLeg>(leg_options);
    } catch (const std::invalid_argument& error) {
      throw MakeError(env, kInvalidArgument, error.what());
    } catch (const std::system_error& error) {
      throw MakeError(env, kInvalidState, error.what());
    }
    Napi::Object result = Napi::Object::New(env);
    if (UdpSocket* socket = leg->socket()) {
      result.Set("localHost", socket->local().host());
      result.Set("localPort", socket->local().port());
    }
    SetCreated(result, AddSession(env, session_options, std::move(leg), options));
    return result;
  }

  Napi::Value CreatePcmSession(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object options = ObjectArg(info, 0);
    const MediaSessionOptions session_options = ParseSessionOptions(env, options);
    const int leg_rate_hz = IntOption(env, options, "legRateHz", 16000, 8000, 48000);
    if (!IsSupportedRate(leg_rate_hz)) throw MakeError(env, kInvalidArgument, "legRateHz must be 8000, 16000, 24000 or 48000");
    auto leg = std::make_unique<PcmLeg>(leg_rate_hz, session_options.bot_rate_hz, session_options.frame_ms);
    Napi::Object result = Napi::Object::New(env);
    SetCreated(result, AddSession(env, session_options, std::move(leg), options));
    return result;
  }

  int32_t AddSession(Napi::Env env, const MediaSessionOptions& session_options, std::unique_ptr<NetworkLeg> leg,
                     const Napi::Object& options) {
    const int64_t start_us = TimeUsOption(env, options, "startUs", ClockUs(CLOCK_MONOTONIC));
    int32_t id = 0;
    try {
      id = engine_.Add(session_options, std::move(leg), start_us);
    } catch (const std::invalid_argument& error) {
      throw MakeError(env, kInvalidArgument, error.what());
    } catch (const std::system_error& error) {
      throw MakeError(env, kInvalidState, error.what());
    }
    live_ids_.insert(id);
    return id;
  }

  Napi::Value Remove(const Napi::CallbackInfo& info) {
    const int32_t id = static_cast<int32_t>(IntegerArg(info, 0, 1, INT32_MAX, "session id"));
    // An ended session's counts stay in the totals: /metrics counters never go down.
    if (MediaSession* session = engine_.Find(id)) AddSessionCounters(*session, ended_totals_);
    live_ids_.erase(id);
    engine_.Remove(id);
    return info.Env().Undefined();
  }

  // tick(nowUs?: number) -> number of events written to the events array. Caller frames are
  // written to the audio array; a kFrame event's `extra` is the sample offset of its frames.
  Napi::Value Tick(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const int64_t monotonic_us = ClockUs(CLOCK_MONOTONIC);
    const int64_t offset_us = ClockUs(CLOCK_REALTIME) - monotonic_us;
    const int64_t now_us = TimeUsArg(info, 0, monotonic_us);
    engine_.Tick(now_us, offset_us);

    Napi::Int32Array events = events_ref_.Value();
    Napi::Int16Array audio = audio_ref_.Value();
    const size_t max_events = events.ElementLength() / 4;
    const SessionEvent* source = engine_.events().data();
    size_t written = 0;
    size_t audio_used = 0;
    size_t i = 0;
    for (; i < engine_.events().count() && written < max_events; ++i) {
      SessionEvent event = source[i];
      if (event.type == SessionEventType::kFrame) {
        MediaSession* session = engine_.Find(event.session_id);
        const size_t samples = session->frame_samples() * static_cast<size_t>(session->caller_frame_count());
        if (audio_used + samples > audio.ElementLength()) {
          ++audio_overflows_;
          continue;
        }
        std::memcpy(audio.Data() + audio_used, session->caller_frames(), samples * sizeof(int16_t));
        event.extra = static_cast<int32_t>(audio_used);
        audio_used += samples;
      }
      int32_t* out = events.Data() + written * 4;
      out[0] = event.session_id;
      out[1] = static_cast<int32_t>(event.type);
      out[2] = event.value;
      out[3] = event.extra;
      ++written;
    }
    events_truncated_ += engine_.events().count() - i;
    engine_.events().Reset();
    return Napi::Number::New(env, static_cast<double>(written));
  }

  // pushBotAudio(id, pcm, maxQueuedSamples?) -> false, queuing nothing, when the queue would then
  // hold more than maxQueuedSamples: a bot connection's playout bound is checked in the crossing
  // that queues the audio, not in one more per bot message.
  Napi::Value PushBotAudio(const Napi::CallbackInfo& info) {
    MediaSession& session = SessionArg(info);
    Napi::Int16Array pcm = Int16Arg(info, 1);
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      const auto max_queued_samples = static_cast<size_t>(IntegerArg(info, 2, 0, INT32_MAX, "maxQueuedSamples"));
      if (session.queued_bot_samples() + pcm.ElementLength() > max_queued_samples) return Napi::Boolean::New(info.Env(), false);
    }
    session.PushBotAudio(pcm.Data(), pcm.ElementLength());
    return Napi::Boolean::New(info.Env(), true);
  }

  Napi::Value Mark(const Napi::CallbackInfo& info) {
    MediaSession& session = SessionArg(info);
    return Napi::Boolean::New(info.Env(), session.Mark(static_cast<uint32_t>(IntegerArg(info, 1, 0, UINT32_MAX, "mark id"))));
  }

  // clear(id) -> ids of the marks that were pending, in order (they count as reached).
  Napi::Value Clear(const Napi::CallbackInfo& info) {
    MediaSession& session = SessionArg(info);
    uint32_t marks[PlayoutQueue::kMaxMarks];
    const size_t count = session.Clear(marks);
    Napi::Array result = Napi::Array::New(info.Env(), count);
    for (size_t i = 0; i < count; ++i) result.Set(static_cast<uint32_t>(i), marks[i]);
    return result;
  }

  Napi::Value SendDtmf(const Napi::CallbackInfo& info) {
    MediaSession& session = SessionArg(info);
    const std::string digits = StringArg(info, 1, "digits");
    return Napi::Boolean::New(info.Env(), session.SendDtmf(digits.data(), digits.size()));
  }

  // (id, host, port): the address in arguments 1 and 2.
  static SocketAddress AddressArg(const Napi::CallbackInfo& info) {
    try {
      return SocketAddress::FromHostPort(StringArg(info, 1, "host"), static_cast<int>(IntegerArg(info, 2, 1, 65535, "port")));
    } catch (const std::invalid_argument& error) {
      throw MakeError(info.Env(), kInvalidArgument, error.what());
    }
  }

  Napi::Value SetRemote(const Napi::CallbackInfo& info) {
    RtpLegArg(info).SetRemote(AddressArg(info));
    return info.Env().Undefined();
  }

  // redirect(id, host, port): a re-INVITE's new remote address; the source is latched anew.
  Napi::Value Redirect(const Napi::CallbackInfo& info) {
    RtpLegArg(info).Redirect(AddressArg(info));
    return info.Env().Undefined();
  }

  // switchCodec(id, codec, payloadType): a re-INVITE's codec change; false when the leg cannot.
  Napi::Value SwitchCodec(const Napi::CallbackInfo& info) {
    RtpLeg& leg = RtpLegArg(info);
    const std::string name = StringArg(info, 1, "codec");
    const CodecInfo* codec = CodecTable::FindByName(name.c_str());
    if (codec == nullptr) throw MakeError(info.Env(), kInvalidArgument, "unknown codec: " + name);
    const auto payload_type = static_cast<int>(IntegerArg(info, 2, 0, 127, "payloadType"));
    return Napi::Boolean::New(info.Env(), leg.SwitchCodec(codec->id, payload_type));
  }

  // rekeyRemote(id, profile, remoteKey: Uint8Array(30)): a re-INVITE's new SDES key from the peer.
  Napi::Value RekeyRemote(const Napi::CallbackInfo& info) {
    RtpLeg& leg = RtpLegArg(info);
    SrtpProfile profile;
    const std::string name = StringArg(info, 1, "profile");
    if (!ParseSrtpProfile(name.c_str(), &profile)) throw MakeError(info.Env(), kInvalidArgument, "unknown SRTP profile: " + name);
    Napi::Uint8Array key = Uint8Arg(info, 2);
    if (key.ElementLength() != 30) throw MakeError(info.Env(), kInvalidArgument, "an SRTP key+salt is 30 bytes");
    if (!leg.RekeyRemote(profile, key.Data())) throw MakeError(info.Env(), kInvalidState, "rekeyRemote on a leg without SRTP");
    return info.Env().Undefined();
  }

  // replaceLeg(id, options): a re-INVITE to another codec clock (Opus <-> G.711): a new RTP leg
  // from `options` (as createRtpSession's, without a transport of its own) takes over the call's
  // sockets and addresses.
  Napi::Value ReplaceLeg(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MediaSession& session = SessionArg(info);
    RtpLeg* old = session.leg().AsRtp();
    if (old == nullptr) throw MakeError(env, kInvalidState, "replaceLeg on a session without an RTP leg");
    RtpLegOptions options = ParseRtpLegOptions(env, ObjectArg(info, 1), old->bot_rate_hz());
    options.take_transport = true;
    std::unique_ptr<RtpLeg> leg;
    try {
      leg = std::make_unique<RtpLeg>(options);
    } catch (const std::invalid_argument& error) {
      throw MakeError(env, kInvalidArgument, error.what());
    }
    if (options.own_socket != (old->socket() != nullptr)) throw MakeError(env, kInvalidArgument, "replaceLeg cannot change the transport");
    leg->TakeTransport(*old);
    session.ReplaceLeg(std::move(leg));
    return env.Undefined();
  }

  // setSrtp(id, profile?, localKey?, remoteKey?: Uint8Array(30)): a re-INVITE turned SRTP on (a
  // profile and both keys), off (no profile) or to another suite.
  Napi::Value SetSrtp(const Napi::CallbackInfo& info) {
    RtpLeg& leg = RtpLegArg(info);
    if (info.Length() < 2 || info[1].IsUndefined()) {
      leg.SetSrtp(nullptr, nullptr, nullptr);
      return info.Env().Undefined();
    }
    SrtpProfile profile;
    const std::string name = StringArg(info, 1, "profile");
    if (!ParseSrtpProfile(name.c_str(), &profile)) throw MakeError(info.Env(), kInvalidArgument, "unknown SRTP profile: " + name);
    Napi::Uint8Array local = Uint8Arg(info, 2);
    Napi::Uint8Array remote = Uint8Arg(info, 3);
    if (local.ElementLength() != 30 || remote.ElementLength() != 30) throw MakeError(info.Env(), kInvalidArgument, "an SRTP key+salt is 30 bytes");
    leg.SetSrtp(&profile, local.Data(), remote.Data());
    return info.Env().Undefined();
  }

  // ingest(id, packet: Uint8Array, arrivalUs?) for legs whose transport lives in JS (WebRTC).
  Napi::Value Ingest(const Napi::CallbackInfo& info) {
    MediaSession& session = SessionArg(info);
    Napi::Uint8Array packet = Uint8Arg(info, 1);
    const int64_t arrival_us = TimeUsArg(info, 2, ClockUs(CLOCK_MONOTONIC));
    session.leg().OnDatagram(packet.Data(), packet.ElementLength(), SocketAddress{}, arrival_us, engine_.events(),
                             session.id());
    return info.Env().Undefined();
  }

  Napi::Value TakeOutboundPackets(const Napi::CallbackInfo& info) {
    RtpLeg& leg = RtpLegArg(info);
    Napi::Array result = Napi::Array::New(info.Env());
    uint32_t index = 0;
    leg.DrainExternal([&](const uint8_t* data, size_t length) {
      result.Set(index++, Napi::Buffer<uint8_t>::Copy(info.Env(), data, length));
    });
    return result;
  }

  Napi::Value PushCallerPcm(const Napi::CallbackInfo& info) {
    PcmLeg& leg = PcmLegArg(info);
    Napi::Int16Array pcm = Int16Arg(info, 1);
    leg.PushCallerPcm(pcm.Data(), pcm.ElementLength());
    return info.Env().Undefined();
  }

  Napi::Value TakeOutboundPcm(const Napi::CallbackInfo& info) {
    PcmLeg& leg = PcmLegArg(info);
    Napi::Int16Array result = Napi::Int16Array::New(info.Env(), leg.outbound_samples());
    std::memcpy(result.Data(), leg.outbound(), leg.outbound_samples() * sizeof(int16_t));
    leg.DrainOutbound();
    return result;
  }

  Napi::Value SetPaused(const Napi::CallbackInfo& info) {
    MediaSession& session = SessionArg(info);
    session.leg().set_paused(info[1].ToBoolean().Value());
    return info.Env().Undefined();
  }

  Napi::Value QueuedBotSamples(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(SessionArg(info).queued_bot_samples()));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    MediaSession& session = SessionArg(info);
    Napi::Object result = SessionStatsToJs(info.Env(), session);
    result.Set("audioOverflows", static_cast<double>(audio_overflows_));
    return result;
  }

  // refusedTotals() -> Float64Array indexed like refusalReasons(): read about once a second for
  // /metrics, so a flood is visible while the call lasts, with no crossing per packet.
  Napi::Value RefusedTotals(const Napi::CallbackInfo& info) {
    uint64_t totals[kMediaRefusalCount];
    engine_.RefusedTotals(totals);
    Napi::Float64Array result = Napi::Float64Array::New(info.Env(), kMediaRefusalCount);
    for (size_t i = 0; i < kMediaRefusalCount; ++i) result[i] = static_cast<double>(totals[i]);
    return result;
  }

  static Napi::Value RefusalReasons(const Napi::CallbackInfo& info) {
    Napi::Array result = Napi::Array::New(info.Env(), kMediaRefusalCount);
    for (size_t i = 0; i < kMediaRefusalCount; ++i) {
      result.Set(static_cast<uint32_t>(i), MediaRefusalName(static_cast<MediaRefusal>(i)));
    }
    return result;
  }

  // counterNames() -> the names of readCounters' slots, in order: the session counters of
  // media_counters.h, then the engine's own.
  static Napi::Value CounterNames(const Napi::CallbackInfo& info) {
    Napi::Array names = Napi::Array::New(info.Env(), kCounterCount);
    for (size_t i = 0; i < kSessionCounterCount; ++i) names.Set(static_cast<uint32_t>(i), kMediaCounterNames[i]);
    for (size_t i = 0; i < kEngineCounterCount; ++i) names.Set(static_cast<uint32_t>(kSessionCounterCount + i), kEngineCounterNames[i]);
    return names;
  }

  // readCounters(out: Float64Array): every counter, summed over live and ended sessions, and the
  // engine's own; one crossing per /metrics scrape.
  Napi::Value ReadCounters(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[0].As<Napi::Float64Array>().ElementLength() < kCounterCount) {
      throw MakeError(info.Env(), kInvalidArgument, "readCounters(out: Float64Array of counterNames().length)");
    }
    double* out = info[0].As<Napi::Float64Array>().Data();
    std::copy(ended_totals_, ended_totals_ + kSessionCounterCount, out);
    LiveJitterDelay jitter;
    for (const int32_t id : live_ids_) {
      if (MediaSession* session = engine_.Find(id)) {
        AddSessionCounters(*session, out);
        jitter.Add(*session);
      }
    }
    double* engine = out + kSessionCounterCount;
    engine[0] = static_cast<double>(engine_.datagrams_received());
    engine[1] = static_cast<double>(engine_.datagrams_refused());
    engine[2] = static_cast<double>(engine_.events().dropped());
    engine[3] = static_cast<double>(events_truncated_);
    engine[4] = static_cast<double>(audio_overflows_);
    engine[5] = static_cast<double>(live_ids_.size());
    engine[6] = jitter.sessions == 0 ? 0 : jitter.sum_ms / static_cast<double>(jitter.sessions);
    engine[7] = jitter.max_ms;
    return info.Env().Undefined();
  }

  static Napi::Value MonotonicUs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(ClockUs(CLOCK_MONOTONIC)));
  }

  RtpLeg& RtpLegArg(const Napi::CallbackInfo& info) {
    auto* leg = SessionArg(info).leg().AsRtp();
    if (leg == nullptr) throw MakeError(info.Env(), kInvalidState, "not an RTP session");
    return *leg;
  }

  PcmLeg& PcmLegArg(const Napi::CallbackInfo& info) {
    auto* leg = SessionArg(info).leg().AsPcm();
    if (leg == nullptr) throw MakeError(info.Env(), kInvalidState, "not a PCM session");
    return *leg;
  }

  MediaEngine engine_;
  Napi::Reference<Napi::Int32Array> events_ref_;
  Napi::Reference<Napi::Int16Array> audio_ref_;
  uint64_t audio_overflows_ = 0;
  // Events the tick could not hand over because the JS events array was full.
  uint64_t events_truncated_ = 0;
  std::unordered_set<int32_t> live_ids_;
  double ended_totals_[kSessionCounterCount] = {};
};

void Init(Napi::Env env, Napi::Object exports) { exports.Set("MediaEngine", MediaEngineBinding::Define(env)); }

}  // namespace

PARLEY_ADDON_MODULE(media, Init);

}  // namespace parley::addon
