// One WebSocket of ElevenLabs' text-to-speech API on ttsd's HTTP listener (Boost.Beast):
// GET /v1/text-to-speech/{voice}/stream-input (one stream of text) and .../multi-stream-input (up to five
// contexts, each its own utterance). Every context is one native `synthesize` with `final` false and
// word marks, on this socket's own NativeLink: text messages become `text` frames (flush: FLUSH),
// the end of a context's text a FINAL frame, close_context of text not flushed a `cancel`. Audio frames
// come back encoded in output_format (SpeechBody), base64 in JSON with each character's timing
// (ElevenLabsAligner).
//   auto ws = std::make_shared<ElevenLabsSession>(std::move(socket), shared, std::move(setup));
//   ws->Start(std::move(upgrade_request));   // the handshake, then messages until either side closes
// The socket itself (handshake, write queue, backpressure, close) is WsSession's.
// Thread-safety: every method runs on the I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/elevenlabs-aligner.h"
#include "ttsd/daemon/elevenlabs-messages.h"
#include "ttsd/daemon/http-speech.h"
#include "ttsd/daemon/ws-session.h"

namespace ttsd::daemon {

// What the upgrade request decided (HttpConnection::HandleElevenLabs).
struct ElevenLabsSetup {
  bool multi = false;    // multi-stream-input
  std::string voice;     // the native voice ("": the default)
  std::string speaker;   // "name:speaker" in the path
  ElevenLabsOptions options;
  std::optional<ElevenLabsError> refused;  // a bad query: sent right after the handshake, then closed
  bool key_given = true;                    // false: the first message must carry the API key
};

class ElevenLabsSession : public WsSession {
 public:
  static constexpr size_t kMaxMessageBytes = 1 << 20;      // a client message; larger closes with 1009
  static constexpr size_t kMaxContextTextBytes = 1 << 20;  // a context's text, whatever the daemon allows

  ElevenLabsSession(Tcp::socket socket, std::shared_ptr<HttpShared> shared, ElevenLabsSetup setup);

  // The daemon is stopping: an idle socket closes now (1001); one with contexts when the daemon
  // closes its link.
  void Shutdown() override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Context {
    std::string id;             // context_id ("" on stream-input)
    uint32_t request = 0;       // the native request
    bool text_open = true;      // false once FINAL went: the audio drains, then isFinal
    bool flushed_last = false;  // the client's last text or flush to it set flush
    std::unique_ptr<SpeechBody> body;  // from accepted
    std::vector<uint8_t> head;         // body->Begin(): goes out with the first audio
    uint32_t rate = 0;                 // the voice's, of the marks and audio frames
    ElevenLabsAligner aligner;
    Clock::time_point last_input;
  };

  // Client messages (elevenlabs-session.cc).
  void OnOpen() override;
  void OnMessage(std::string_view text, bool binary) override;
  void Forget() override;
  void OnSingle(const ElevenLabsMessage& m);
  void OnMulti(const ElevenLabsMessage& m);
  Context* Open(const std::string& id, const ElevenLabsMessage& first);
  void Append(Context& c, const std::string& text, bool flush);
  void CloseText(Context& c, bool cancel);
  void CloseAll();  // close_socket
  // Native frames (elevenlabs-frames.cc).
  void OnFrame(protocol::Frame frame);
  void OnAudio(Context& c, const protocol::Frame& frame);
  void EndContext(uint32_t request);                       // isFinal; the context is over
  void FailContext(uint32_t request, const ElevenLabsError& error);
  void MaybeFinish();  // after close_socket: closes once every context is over
  void Fail(const ElevenLabsError& error);  // the error message, then the close it names
  void ArmTimer();
  void OnTimer();
  const std::string* ContextId(const Context& c) const { return setup_.multi ? &c.id : nullptr; }

  ElevenLabsSetup setup_;
  bool authorized_ = true;   // false until a first message carries the key (key_given false)
  bool started_ = false;     // stream-input: the first message came
  bool close_socket_ = false;  // close_socket: closes once the contexts are over
  std::map<uint32_t, Context> contexts_;         // by native request id: open and draining
  std::map<std::string, uint32_t> open_ids_;     // context_id -> request, while its text is open
  uint32_t next_request_ = 1;
  Clock::time_point last_input_ = Clock::now();  // the last client message, or the last context's end
  boost::asio::steady_timer timer_;               // inactivity_timeout
};

}  // namespace ttsd::daemon
