// JS face of WebSocketSendBatch (net/websocket_send_batch.h): one crossing per media tick frames
// and sends every bot connection's caller frames. Layouts (engine/native/websocket-send-batch.ts
// names them): `frames` holds [payloadStart, payloadBytes, opcode] per frame, `connections`
// [fd, frames, outStart, outBytes, written] per connection, the last three written here.
#include <napi.h>

#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "addon/errors.h"
#include "addon/js_args.h"
#include "addon/module_registry.h"
#include "net/websocket_client_frame.h"
#include "net/websocket_send_batch.h"

namespace parley::addon {
namespace {

constexpr size_t kFrameFields = 3;
constexpr size_t kConnectionFields = 5;

class WebSocketSendBatchBinding : public Napi::ObjectWrap<WebSocketSendBatchBinding> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "WebSocketSendBatch",
                       {
                           InstanceMethod("flush", &WebSocketSendBatchBinding::Flush),
                           InstanceAccessor("usesIoUring", &WebSocketSendBatchBinding::UsesIoUring, nullptr),
                       });
  }

  // new WebSocketSendBatch(plainSends?: boolean): plainSends never tries io_uring.
  explicit WebSocketSendBatchBinding(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<WebSocketSendBatchBinding>(info),
        batch_(info.Length() > 0 && info[0].ToBoolean() ? WebSocketSendBatch::Mode::kPlainSends : WebSocketSendBatch::Mode::kAuto) {}

 private:
  Napi::Value UsesIoUring(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), batch_.uses_io_uring()); }

  // flush(payloads: Uint8Array, frames: Int32Array, frameCount, connections: Int32Array,
  //       connectionCount, out: Uint8Array): void
  Napi::Value Flush(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Uint8Array payloads = Uint8Arg(info, 0);
    Napi::Int32Array frame_fields = Int32Arg(info, 1);
    const auto frame_count = static_cast<size_t>(IntegerArg(info, 2, 0, static_cast<int64_t>(frame_fields.ElementLength() / kFrameFields), "frameCount"));
    Napi::Int32Array connection_fields = Int32Arg(info, 3);
    const auto connection_count =
        static_cast<size_t>(IntegerArg(info, 4, 0, static_cast<int64_t>(connection_fields.ElementLength() / kConnectionFields), "connectionCount"));
    Napi::Uint8Array out = Uint8Arg(info, 5);

    frames_.resize(frame_count);
    for (size_t i = 0; i < frame_count; ++i) {
      const int32_t* field = frame_fields.Data() + i * kFrameFields;
      if (field[0] < 0 || field[1] < 0 || (field[2] != kWebSocketText && field[2] != kWebSocketBinary)) {
        throw MakeError(env, kInvalidArgument, "frame " + std::to_string(i) + ": negative range or an opcode other than text or binary");
      }
      frames_[i] = {static_cast<size_t>(field[0]), static_cast<size_t>(field[1]), static_cast<uint8_t>(field[2])};
    }
    connections_.resize(connection_count);
    for (size_t i = 0; i < connection_count; ++i) {
      const int32_t* field = connection_fields.Data() + i * kConnectionFields;
      if (field[1] < 0) throw MakeError(env, kInvalidArgument, "connection " + std::to_string(i) + ": negative frame count");
      connections_[i] = {field[0] < 0 ? -1 : field[0], static_cast<size_t>(field[1]), 0, 0, 0};
    }
    try {
      batch_.Flush(payloads.Data(), payloads.ElementLength(), frames_.data(), frame_count, connections_.data(), connection_count, out.Data(),
                   out.ElementLength());
    } catch (const std::invalid_argument& error) {
      throw MakeError(env, kInvalidArgument, error.what());
    } catch (const std::system_error& error) {
      throw MakeError(env, kInvalidState, error.what());
    }
    for (size_t i = 0; i < connection_count; ++i) {
      int32_t* field = connection_fields.Data() + i * kConnectionFields;
      field[2] = static_cast<int32_t>(connections_[i].out_start);
      field[3] = static_cast<int32_t>(connections_[i].out_bytes);
      field[4] = static_cast<int32_t>(connections_[i].written);
    }
    return env.Undefined();
  }

  WebSocketSendBatch batch_;
  std::vector<WebSocketSendBatch::Frame> frames_;
  std::vector<WebSocketSendBatch::Connection> connections_;
};

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("WebSocketSendBatch", WebSocketSendBatchBinding::Define(env));
  // The layouts and opcodes, defined once here.
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("frameFields", Napi::Number::New(env, kFrameFields));
  layout.Set("connectionFields", Napi::Number::New(env, kConnectionFields));
  layout.Set("opcodeText", Napi::Number::New(env, kWebSocketText));
  layout.Set("opcodeBinary", Napi::Number::New(env, kWebSocketBinary));
  layout.Set("maxHeaderBytes", Napi::Number::New(env, static_cast<double>(kWebSocketMaxClientHeaderBytes)));
  exports.Set("layout", layout);
}

}  // namespace

PARLEY_ADDON_MODULE(webSocketSendBatch, Init);

}  // namespace parley::addon
