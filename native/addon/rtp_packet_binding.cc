// JS face of RtpPacket: one crossing per packet. Parse returns offsets into the caller's bytes (the
// TS face makes views, no copy); a malformed packet returns its RtpStatus name instead of
// throwing, because on the receive path it is an expected event, not a programming error.
#include <napi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "rtp/rtp_packet.h"

namespace parley::addon {
namespace {

// RFC 8285 allows at most 255 bytes per element (two-byte form) and the RTP header extension
// length field counts 32-bit words in 16 bits; 16 elements keeps every block far inside both.
constexpr size_t kMaxElements = RtpPacket::kMaxExtensions;

Napi::Value Parse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array bytes = Uint8Arg(info, 0);
  RtpPacket packet;
  const RtpStatus status = RtpPacket::Parse(bytes.Data(), bytes.ElementLength(), &packet);
  if (status != RtpStatus::kOk) return Napi::String::New(env, RtpStatusName(status));

  Napi::Object out = Napi::Object::New(env);
  out.Set("padding", Napi::Boolean::New(env, packet.padding));
  out.Set("marker", Napi::Boolean::New(env, packet.marker));
  out.Set("payloadType", Napi::Number::New(env, packet.payload_type));
  out.Set("sequenceNumber", Napi::Number::New(env, packet.sequence_number));
  out.Set("timestamp", Napi::Number::New(env, packet.timestamp));
  out.Set("ssrc", Napi::Number::New(env, packet.ssrc));
  Napi::Array csrcs = Napi::Array::New(env, packet.csrc_count);
  for (uint32_t i = 0; i < packet.csrc_count; ++i) csrcs.Set(i, Napi::Number::New(env, packet.csrcs[i]));
  out.Set("csrcs", csrcs);
  if (packet.has_extension) out.Set("extensionProfile", Napi::Number::New(env, packet.extension_profile));
  Napi::Array extensions = Napi::Array::New(env, packet.extension_count);
  for (uint32_t i = 0; i < packet.extension_count; ++i) {
    Napi::Object element = Napi::Object::New(env);
    element.Set("id", Napi::Number::New(env, packet.extensions[i].id));
    element.Set("offset", Napi::Number::New(env, packet.extensions[i].offset));
    element.Set("length", Napi::Number::New(env, packet.extensions[i].length));
    extensions.Set(i, element);
  }
  out.Set("extensions", extensions);
  out.Set("payloadOffset", Napi::Number::New(env, static_cast<double>(packet.payload_offset)));
  out.Set("payloadLength", Napi::Number::New(env, static_cast<double>(packet.payload_length)));
  out.Set("paddingLength", Napi::Number::New(env, packet.padding_length));
  return out;
}

uint32_t Integer(Napi::Env env, const Napi::Value& value, const char* key, double max) {
  if (!value.IsNumber()) throw MakeError(env, kInvalidArgument, std::string(key) + " must be a number");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0 && number <= max) || number != static_cast<double>(static_cast<uint32_t>(number))) {
    throw MakeError(env, kInvalidArgument, std::string(key) + " out of range");
  }
  return static_cast<uint32_t>(number);
}

uint32_t Field(Napi::Env env, const Napi::Object& object, const char* key, double max) {
  return Integer(env, object.Get(key), key, max);
}

// serialize(header, payload, extensions) -> Uint8Array
Napi::Value Serialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object header = ObjectArg(info, 0);
  Napi::Uint8Array payload = Uint8Arg(info, 1);
  RtpPacket packet;
  packet.marker = BoolOption(env, header, "marker", false);
  packet.payload_type = static_cast<uint8_t>(Field(env, header, "payloadType", 127));
  packet.sequence_number = static_cast<uint16_t>(Field(env, header, "sequenceNumber", 0xffff));
  packet.timestamp = Field(env, header, "timestamp", 0xffffffff);
  packet.ssrc = Field(env, header, "ssrc", 0xffffffff);
  Napi::Value csrcs = header.Get("csrcs");
  if (!csrcs.IsUndefined()) {
    if (!csrcs.IsArray() || csrcs.As<Napi::Array>().Length() > 15) throw MakeError(env, kInvalidArgument, "csrcs must be an array of at most 15");
    Napi::Array list = csrcs.As<Napi::Array>();
    packet.csrc_count = static_cast<uint8_t>(list.Length());
    for (uint32_t i = 0; i < list.Length(); ++i) packet.csrcs[i] = Integer(env, list.Get(i), "csrc", 0xffffffff);
  }

  std::vector<RtpExtensionElement> elements;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsArray() || info[2].As<Napi::Array>().Length() > kMaxElements) {
      throw MakeError(env, kInvalidArgument, "extensions must be an array of at most 16 elements");
    }
    Napi::Array list = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      if (!list.Get(i).IsObject()) throw MakeError(env, kInvalidArgument, "extension elements must be objects");
      Napi::Object element = list.Get(i).As<Napi::Object>();
      const uint32_t id = Field(env, element, "id", 255);
      Napi::Value data = element.Get("data");
      if (id == 0 || !data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
          data.As<Napi::Uint8Array>().ElementLength() > 255) {
        throw MakeError(env, kInvalidArgument, "extension element: id 1..255 and data a Uint8Array of at most 255 bytes");
      }
      Napi::Uint8Array bytes = data.As<Napi::Uint8Array>();
      elements.push_back({static_cast<uint8_t>(id), bytes.Data(), static_cast<uint8_t>(bytes.ElementLength())});
    }
  }

  const size_t capacity = RtpPacket::kFixedHeaderBytes + 4 * 15 + 4 + kMaxElements * (2 + 255) + 3 + payload.ElementLength();
  std::vector<uint8_t> buffer(capacity);
  const size_t written = packet.SerializeTo(buffer.data(), capacity, payload.Data(), payload.ElementLength(), elements.data(), elements.size());
  if (written == 0) throw MakeError(env, kInvalidArgument, "packet cannot be serialized");
  Napi::Uint8Array out = Napi::Uint8Array::New(env, written);
  std::copy(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(written), out.Data());
  return out;
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("parse", Napi::Function::New(env, Parse));
  exports.Set("serialize", Napi::Function::New(env, Serialize));
}

}  // namespace

PARLEY_ADDON_MODULE(rtpPacket, Init);

}  // namespace parley::addon
