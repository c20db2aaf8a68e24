// The one place that maps a codec row to its frame encoder and decoder.
#include "codec/frame_decoder.h"
#include "codec/frame_encoder.h"
#include "codec/g711_frame_codec.h"
#include "codec/g722_frame_codec.h"
#include "codec/l16_frame_codec.h"
#include "codec/opus_frame_codec.h"

namespace parley {
bool IsOpusPcmRate(int rate_hz) {
  return rate_hz == 8000 || rate_hz == 12000 || rate_hz == 16000 || rate_hz == 24000 || rate_hz == 48000;
}

namespace {

int PcmRateOrOwn(CodecId codec, int pcm_rate_hz) { return pcm_rate_hz != 0 ? pcm_rate_hz : CodecTable::Get(codec).sample_rate_hz; }

}  // namespace

int CodecPcmRateHz(CodecId codec, int wanted_rate_hz) {
  if (codec == CodecId::kOpus && IsOpusPcmRate(wanted_rate_hz)) return wanted_rate_hz;
  return CodecTable::Get(codec).sample_rate_hz;
}

std::unique_ptr<FrameEncoder> MakeFrameEncoder(CodecId codec, const FrameEncoderOptions& options, int pcm_rate_hz) {
  switch (codec) {
    case CodecId::kPcmu:
      return std::make_unique<G711FrameEncoder>(true);
    case CodecId::kPcma:
      return std::make_unique<G711FrameEncoder>(false);
    case CodecId::kG722:
      return std::make_unique<G722FrameEncoder>();
    case CodecId::kOpus: {
      OpusEncoderOptions opus;
      opus.sample_rate_hz = PcmRateOrOwn(codec, pcm_rate_hz);
      opus.bitrate_bps = options.opus_bitrate_bps;
      opus.complexity = options.opus_complexity;
      opus.in_band_fec = options.opus_fec;
      return std::make_unique<OpusPayloadEncoder>(opus);
    }
    case CodecId::kL16_8k:
    case CodecId::kL16_16k:
    case CodecId::kL16_48k:
      return std::make_unique<L16FrameEncoder>();
  }
  return nullptr;
}

std::unique_ptr<FrameDecoder> MakeFrameDecoder(CodecId codec, int pcm_rate_hz) {
  switch (codec) {
    case CodecId::kPcmu:
      return std::make_unique<G711FrameDecoder>(true);
    case CodecId::kPcma:
      return std::make_unique<G711FrameDecoder>(false);
    case CodecId::kG722:
      return std::make_unique<G722FrameDecoder>();
    case CodecId::kOpus:
      return std::make_unique<OpusPayloadDecoder>(PcmRateOrOwn(codec, pcm_rate_hz));
    case CodecId::kL16_8k:
    case CodecId::kL16_16k:
    case CodecId::kL16_48k:
      return std::make_unique<L16FrameDecoder>();
  }
  return nullptr;
}

}  // namespace parley
