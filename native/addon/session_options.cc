#include "addon/session_options.h"

#include <cmath>
#include <string>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "media/pcm_leg.h"
#include "media/rate_bridge.h"

namespace parley::addon {

MediaSessionOptions ParseSessionOptions(Napi::Env env, const Napi::Object& options) {
  MediaSessionOptions parsed;
  parsed.bot_rate_hz = IntOption(env, options, "botRateHz", parsed.bot_rate_hz, 8000, 48000);
  if (!IsSupportedRate(parsed.bot_rate_hz)) throw MakeError(env, kInvalidArgument, "botRateHz must be 8000, 16000, 24000 or 48000");
  parsed.playout_max_ms = IntOption(env, options, "playoutMaxMs", parsed.playout_max_ms, 1000, 600'000);
  parsed.vad_aggressiveness = IntOption(env, options, "vadAggressiveness", parsed.vad_aggressiveness, 0, 3);
  parsed.vad_hangover_ms = IntOption(env, options, "vadHangoverMs", parsed.vad_hangover_ms, 0, 2000);
  parsed.barge_in_enabled = BoolOption(env, options, "bargeIn", parsed.barge_in_enabled);
  parsed.barge_in_min_speech_ms = IntOption(env, options, "bargeInMinSpeechMs", parsed.barge_in_min_speech_ms, 20, 2000);
  parsed.barge_in_echo_guard = BoolOption(env, options, "bargeInEchoGuard", parsed.barge_in_echo_guard);
  parsed.echo_cancellation = BoolOption(env, options, "echoCancellation", parsed.echo_cancellation);
  parsed.echo.max_delay_ms = IntOption(env, options, "echoMaxDelayMs", parsed.echo.max_delay_ms, 0, 500);
  parsed.echo.tail_ms = IntOption(env, options, "echoTailMs", parsed.echo.tail_ms, 10, 250);
  return parsed;
}

RtpLegOptions ParseRtpLegOptions(Napi::Env env, const Napi::Object& options, int bot_rate_hz) {
  RtpLegOptions parsed;
  const std::string codec = StringOption(env, options, "codec", "PCMU");
  const CodecInfo* info = CodecTable::FindByName(codec.c_str());
  if (info == nullptr) throw MakeError(env, kInvalidArgument, "unknown codec: " + codec);
  parsed.codec = info->id;
  parsed.payload_type = IntOption(env, options, "payloadType", info->default_payload_type, 0, 127);
  parsed.telephone_event_payload_type = IntOption(env, options, "telephoneEventPayloadType", -1, -1, 127);
  parsed.comfort_noise_payload_type = IntOption(env, options, "comfortNoisePayloadType", -1, -1, 127);
  // 0: the audio clock. Otherwise an rtpmap clock a telephone-event may have (RFC 4733 section 2.1).
  parsed.telephone_event_clock_hz = IntOption(env, options, "telephoneEventClockHz", 0, 0, 48000);
  if (parsed.telephone_event_clock_hz != 0 && parsed.telephone_event_clock_hz < 8000) {
    throw MakeError(env, kInvalidArgument, "telephoneEventClockHz must be 0 or 8000-48000");
  }
  // 0: one packet per frame. Otherwise the answer's ptime, in whole 10 ms steps.
  parsed.packet_ms = IntOption(env, options, "packetMs", 0, 0, 60);
  if (parsed.packet_ms != 0 && (parsed.packet_ms < 10 || parsed.packet_ms % 10 != 0)) {
    throw MakeError(env, kInvalidArgument, "packetMs must be 0 or 10-60 in steps of 10");
  }
  parsed.bot_rate_hz = bot_rate_hz;
  parsed.encoder.opus_bitrate_bps = IntOption(env, options, "opusBitrateBps", parsed.encoder.opus_bitrate_bps, 6000, 510'000);
  parsed.encoder.opus_complexity = IntOption(env, options, "opusComplexity", parsed.encoder.opus_complexity, 0, 10);
  parsed.encoder.opus_fec = BoolOption(env, options, "opusFec", parsed.encoder.opus_fec);
  parsed.own_socket = StringOption(env, options, "transport", "udp") == "udp";
  parsed.local_host = StringOption(env, options, "localHost", parsed.local_host);
  parsed.local_port = IntOption(env, options, "localPort", 0, 0, 65535);
  parsed.local_port_min = IntOption(env, options, "localPortMin", 0, 0, 65535);
  parsed.local_port_max = IntOption(env, options, "localPortMax", 0, 0, 65535);
  if ((parsed.local_port_min == 0) != (parsed.local_port_max == 0) || parsed.local_port_min > parsed.local_port_max) {
    throw MakeError(env, kInvalidArgument, "localPortMin and localPortMax give a range 1..65535 together");
  }
  const std::string remote_host = StringOption(env, options, "remoteHost", "");
  try {
    if (!remote_host.empty()) {
      const int remote_port = IntOption(env, options, "remotePort", -1, 1, 65535);
      if (remote_port < 0) throw MakeError(env, kInvalidArgument, "remotePort is required with remoteHost");
      parsed.remote = SocketAddress::FromHostPort(remote_host, remote_port);
    }
  } catch (const std::invalid_argument& error) {
    throw MakeError(env, kInvalidArgument, error.what());
  }
  parsed.learn_remote = BoolOption(env, options, "learnRemote", remote_host.empty());
  parsed.source.strict = BoolOption(env, options, "strictSource", parsed.source.strict);
  parsed.source.learning_window_us = int64_t{1000} * IntOption(env, options, "sourceLearningMs", 1000, 0, 10'000);
  parsed.source.relatch_silence_us = int64_t{1000} * IntOption(env, options, "relatchSilenceMs", 1000, 20, 60'000);
  parsed.source.relatch_packets = IntOption(env, options, "relatchPackets", parsed.source.relatch_packets, 1, 1000);
  parsed.send_silence = BoolOption(env, options, "sendSilence", true);
  const std::string rtcp = StringOption(env, options, "rtcp", "off");
  if (rtcp == "mux") {
    parsed.rtcp = RtcpMode::kMux;
  } else if (rtcp == "pair") {
    parsed.rtcp = RtcpMode::kPair;
  } else if (rtcp != "off") {
    throw MakeError(env, kInvalidArgument, "rtcp must be off, mux or pair");
  }
  if (parsed.rtcp == RtcpMode::kPair && !parsed.own_socket) throw MakeError(env, kInvalidArgument, "rtcp pair needs transport udp");
  const int rtcp_remote_port = IntOption(env, options, "rtcpRemotePort", 0, 0, 65535);
  if (rtcp_remote_port != 0 && !parsed.remote.empty()) parsed.rtcp_remote = parsed.remote.WithPort(rtcp_remote_port);
  parsed.jitter_min_delay_ms = IntOption(env, options, "jitterMinDelayMs", parsed.jitter_min_delay_ms, 0, 1000);
  parsed.jitter_max_delay_ms = IntOption(env, options, "jitterMaxDelayMs", parsed.jitter_max_delay_ms, 20, 2000);
  parsed.jitter_time_stretch = BoolOption(env, options, "jitterTimeStretch", parsed.jitter_time_stretch);
  if (parsed.jitter_min_delay_ms > parsed.jitter_max_delay_ms) throw MakeError(env, kInvalidArgument, "jitterMinDelayMs must not exceed jitterMaxDelayMs");
  if (options.Has("srtp") && options.Get("srtp").IsObject()) {
    Napi::Object srtp = options.Get("srtp").As<Napi::Object>();
    const std::string profile = StringOption(env, srtp, "profile", "AES_CM_128_HMAC_SHA1_80");
    if (!ParseSrtpProfile(profile.c_str(), &parsed.srtp_profile)) throw MakeError(env, kInvalidArgument, "unsupported SRTP profile: " + profile);
    parsed.srtp = true;
    BytesOption(env, srtp, "localKey", parsed.srtp_local_key, sizeof(parsed.srtp_local_key));
    BytesOption(env, srtp, "remoteKey", parsed.srtp_remote_key, sizeof(parsed.srtp_remote_key));
  }
  return parsed;
}

namespace {

void SetCount(Napi::Object& target, const char* key, uint64_t value) { target.Set(key, static_cast<double>(value)); }

}  // namespace

Napi::Object SessionStatsToJs(Napi::Env env, MediaSession& session) {
  Napi::Object result = Napi::Object::New(env);
  const MediaSession::Stats stats = session.stats();
  SetCount(result, "frames", stats.frames);
  SetCount(result, "skippedFrames", stats.skipped_frames);
  SetCount(result, "speechFrames", stats.speech_frames);
  SetCount(result, "bargeIns", stats.barge_ins);
  SetCount(result, "echoFrames", stats.echo_frames);
  SetCount(result, "botSamplesPlayed", stats.bot_samples_played);
  SetCount(result, "botSamplesDropped", stats.bot_samples_dropped);
  Napi::Object turns = Napi::Object::New(env);
  const auto set_turns = [&](const char* key, const TurnStats& stats) {
    Napi::Object out = Napi::Object::New(env);
    SetCount(out, "count", stats.count);
    out.Set("meanMs", stats.count == 0 ? -1.0 : std::round(10.0 * static_cast<double>(stats.sum_ms) / static_cast<double>(stats.count)) / 10.0);
    out.Set("maxMs", stats.count == 0 ? -1 : stats.max_ms);
    out.Set("lastMs", stats.last_ms);
    turns.Set(key, out);
  };
  set_turns("response", session.turns().responses());
  set_turns("interruption", session.turns().interruptions());
  result.Set("turns", turns);
  if (const EchoCancellerStats* echo = session.leg().rates().echo_stats()) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("delayMs", echo->delay_ms);
    out.Set("erleDb", std::round(echo->erle_db * 10.0f) / 10.0f);
    out.Set("converged", echo->converged);
    SetCount(out, "resets", echo->resets);
    SetCount(out, "bypassedFrames", echo->bypassed_frames);
    result.Set("echo", out);
  }
  if (auto* rtp = session.leg().AsRtp()) {
    const RtpLeg::Stats leg = rtp->stats();
    result.Set("codec", rtp->codec_name());
    SetCount(result, "packetsReceived", leg.packets_received);
    SetCount(result, "packetsSent", leg.packets_sent);
    const auto refused = [&leg](MediaRefusal refusal) { return leg.refused[static_cast<size_t>(refusal)]; };
    SetCount(result, "malformed", refused(MediaRefusal::kMalformed));
    SetCount(result, "srtpFailed", refused(MediaRefusal::kSrtpFailed));
    SetCount(result, "foreignSource", refused(MediaRefusal::kForeignSource));
    SetCount(result, "unsignalledSource", refused(MediaRefusal::kUnsignalledSource));
    SetCount(result, "sourceCandidate", refused(MediaRefusal::kSourceCandidate));
    SetCount(result, "foreignSsrc", refused(MediaRefusal::kForeignSsrc));
    SetCount(result, "wrongPayloadType", refused(MediaRefusal::kWrongPayloadType));
    SetCount(result, "relatches", leg.relatches);
    SetCount(result, "rtcpReceived", leg.rtcp_received);
    SetCount(result, "decodeErrors", leg.decode_errors);
    SetCount(result, "sendDropped", leg.send_dropped);
    SetCount(result, "ssrcChanges", leg.ssrc_changes);
    Napi::Object jitter = Napi::Object::New(env);
    jitter.Set("currentDelayMs", leg.jitter.current_delay_ms);
    jitter.Set("targetDelayMs", leg.jitter.target_delay_ms);
    SetCount(jitter, "late", leg.jitter.late);
    SetCount(jitter, "lost", leg.jitter.lost);
    SetCount(jitter, "concealed", leg.jitter.concealed_frames);
    SetCount(jitter, "discarded", leg.jitter.discarded);
    SetCount(jitter, "duplicates", leg.jitter.duplicates);
    SetCount(jitter, "reordered", leg.jitter.reordered);
    SetCount(jitter, "fecRecovered", leg.jitter.fec_recovered);
    SetCount(jitter, "resyncs", leg.jitter.resyncs);
    SetCount(jitter, "played", leg.jitter.played);
    SetCount(jitter, "framesDropped", leg.jitter.frames_dropped);
    SetCount(jitter, "framesInserted", leg.jitter.frames_inserted);
    SetCount(jitter, "comfortNoisePackets", leg.jitter.comfort_noise_packets);
    SetCount(jitter, "accelerate", leg.jitter.accelerate);
    jitter.Set("accelerateMs", leg.jitter.accelerate_ms);
    SetCount(jitter, "preemptiveExpand", leg.jitter.preemptive_expand);
    jitter.Set("preemptiveExpandMs", leg.jitter.preemptive_expand_ms);
    SetCount(jitter, "expand", leg.jitter.expand);
    jitter.Set("expandMs", leg.jitter.expand_ms);
    SetCount(jitter, "merge", leg.jitter.merge);
    jitter.Set("comfortNoiseMs", leg.jitter.comfort_noise_ms);
    result.Set("jitter", jitter);
    const RtcpStats& rtcp = leg.rtcp;
    Napi::Object reports = Napi::Object::New(env);
    SetCount(reports, "sent", rtcp.sent);
    SetCount(reports, "received", rtcp.reports_received);
    SetCount(reports, "malformed", rtcp.malformed);
    SetCount(reports, "rttSamples", rtcp.rtt_samples);
    if (rtcp.rtt_samples > 0) {
      reports.Set("rttLastMs", rtcp.rtt_last_ms);
      reports.Set("rttMeanMs", rtcp.rtt_sum_ms / static_cast<double>(rtcp.rtt_samples));
      reports.Set("rttMaxMs", rtcp.rtt_max_ms);
    }
    if (rtcp.have_remote_block) {
      // How our stream reaches the peer, by its last report block.
      Napi::Object remote = Napi::Object::New(env);
      remote.Set("fractionLost", rtcp.remote_fraction_lost);
      remote.Set("cumulativeLost", static_cast<double>(rtcp.remote_cumulative_lost));
      remote.Set("jitterMs", rtcp.remote_jitter_ms);
      reports.Set("remote", remote);
    }
    // How the peer's stream reaches us (RFC 3550 A.3 and A.8), what our report blocks say.
    Napi::Object local = Napi::Object::New(env);
    SetCount(local, "expected", rtcp.expected);
    local.Set("lost", static_cast<double>(rtcp.lost));
    local.Set("jitterMs", rtcp.jitter_ms);
    reports.Set("local", local);
    result.Set("rtcp", reports);
  } else if (auto* pcm = session.leg().AsPcm()) {
    result.Set("codec", "slin");
    SetCount(result, "underrunSamples", pcm->underrun_samples());
    SetCount(result, "overflowSamples", pcm->overflow_samples());
    SetCount(result, "droppedOutboundFrames", pcm->dropped_outbound_frames());
  }
  return result;
}

}  // namespace parley::addon
