// Options of MediaEngine sessions as JS passes them (already schema-checked in
// engine/media/media-session-options.ts; checked again here for type safety) and stats back.
#pragma once

#include <napi.h>

#include "media/media_session.h"
#include "media/rtp_leg.h"

namespace parley::addon {

MediaSessionOptions ParseSessionOptions(Napi::Env env, const Napi::Object& options);
RtpLegOptions ParseRtpLegOptions(Napi::Env env, const Napi::Object& options, int bot_rate_hz);
Napi::Object SessionStatsToJs(Napi::Env env, MediaSession& session);

}  // namespace parley::addon
