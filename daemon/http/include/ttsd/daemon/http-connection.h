// One HTTP/1.1 connection of the HTTP API: reads requests with Beast's parser (header and body
// caps, an idle deadline), checks the bearer token and the origin, routes, and writes responses:
// whole JSON bodies, or chunked streams (speech audio, captioned speech, server-sent events) that
// follow the daemon's frames as they arrive and pause the daemon's generation while the client is
// behind. A WebSocket upgrade hands the socket to an ElevenLabsSession (elevenlabs-session.h).
//   auto c = std::make_shared<HttpConnection>(std::move(socket), shared); c->Start();
// Ownership: pending socket operations and the open link's callbacks hold the connection; closing
// the link (at the end of each response) lets it go.
// Thread-safety: every method runs on the I/O thread. Handlers live in http-handlers.cc.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "ttsd/daemon/http-native-link.h"
#include "ttsd/daemon/ws-session.h"
#include "ttsd/daemon/http-route.h"
#include "ttsd/daemon/http-server.h"
#include "ttsd/daemon/http-speech.h"
#include "ttsd/daemon/http-timestamps.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  using Tcp = boost::asio::ip::tcp;
  static constexpr size_t kPauseBytes = 256 << 10;  // queued response bytes that pause the daemon
  static constexpr size_t kResumeBytes = 64 << 10;
  static constexpr size_t kMaxCaptionedBytes = 64 << 20;  // audio of a whole captioned reply (not streamed)
  static constexpr uint32_t kEventsListenId = 0xFFFFFFFF;  // an event stream's listen on its link (status polls count up from 1)

  HttpConnection(Tcp::socket socket, std::shared_ptr<HttpShared> shared);
  ~HttpConnection();

  void Start();
  // Answers 503 and closes: the server is at http-max-connections.
  void RejectBusy();
  // The daemon is stopping: an idle connection closes now, a response in progress when it ends.
  void Shutdown();
  void Close();

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Head = boost::beast::http::response<boost::beast::http::empty_body>;
  enum class State { kIdle, kReading, kBusy, kStreaming, kClosed };

  // Reading (http-connection.cc).
  void WaitForInput();  // the next request's first bytes, or the client leaving mid-response
  void ReadRequest();
  void OnHeader(boost::beast::error_code ec);
  void ReadBody();
  void OnRequest(boost::beast::error_code ec);
  void Route();  // RouteRequest (http-route.h), then the handler
  void ArmDeadline(int seconds);

  // Responses.
  void Reply(int status, std::string content_type, std::string body);
  void ReplyJson(int status, std::string body) { Reply(status, "application/json", std::move(body)); }
  void ReplyError(const HttpError& error);
  void BeginStream(Head head);                 // status line and headers of a chunked body
  void StreamBytes(std::vector<uint8_t> bytes);  // one chunk
  void EndStream();                            // the last chunk; the response is complete
  void AbortStream(const std::string& why);    // closes without the last chunk: the body is cut
  void ResponseDone();
  void Write(std::vector<uint8_t> bytes);
  void WriteNext();
  bool Behind() const { return queued_bytes_ >= kPauseBytes; }

  // Handlers (http-handlers.cc).
  std::shared_ptr<NativeLink> OpenLink();  // null after replying 503
  // Sends one frame on a new link and calls on_reply with the first answer to it (an error frame
  // is answered here, in OpenAI's shape).
  void Ask(protocol::FrameType type, std::vector<uint8_t> payload, std::function<void(protocol::Frame)> on_reply);
  void HandleAsset(std::string_view path);
  void HandleVoices(bool health);
  void HandleModels();
  void HandleAudioVoices();
  void HandleVoiceAdd();
  void HandleVoiceRemove(const std::string& name);
  void SendSpeechBytes(std::vector<uint8_t> bytes);
  void HandleChannel(const HttpRoute& route);
  void HandleEvents(const std::string& channel);
  void OnChannelEvent(const protocol::Frame& frame);  // a kChannelEvent of the events listen
  void PollEvents();
  // ElevenLabs' WebSocket API: the socket goes to an ElevenLabsSession and this connection ends.
  void HandleElevenLabs(const HttpRoute& route);
  // ttsd's own protocol over WebSocket: the socket goes to a NativeWsSession.
  void HandleNativeWs();
  // A WebSocket upgrade: the socket leaves this connection (which ends) for a session, which starts.
  boost::asio::ip::tcp::socket ReleaseSocket();
  void HandOver(std::shared_ptr<WsSession> session);
  void HandleSpeech(bool captioned);
  void StartSpeech(const std::string& body);
  void OnSpeechFrame(protocol::Frame frame);
  void OnSpeechAccepted(const protocol::Accepted& accepted);
  void OnSpeechMarks(const protocol::Frame& frame);
  void FinishSpeech();
  void FailSpeech(const HttpError& error);  // a reply while nothing is sent, else the body is cut

  Tcp::socket socket_;
  std::shared_ptr<HttpShared> shared_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Request request_;
  size_t body_limit_ = HttpConfig::kMaxBodyBytes;  // of the request being read: BodyLimit
  State state_ = State::kIdle;
  bool watching_ = false;        // a read waits for input while no request is being parsed
  bool keep_alive_ = true;       // more requests may follow the current response
  bool chunked_ = true;          // false for HTTP/1.0 clients: the body ends when we close
  bool shutting_down_ = false;
  std::deque<std::vector<uint8_t>> write_queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer poll_timer_;  // events
  std::shared_ptr<NativeLink> link_;

  // The speech request in progress.
  struct Speech {
    SpeechRequest request;
    std::unique_ptr<SpeechBody> body;
    uint32_t id = 1;
    bool accepted = false;
    uint32_t voice_rate = 0;           // of the marks' samples
    std::vector<WordTimestamp> words;  // captioned: not yet sent (stream) or all of them (whole)
    std::vector<uint8_t> whole;        // captioned, not streamed: the audio so far
  };
  std::optional<Speech> speech_;
  // The event stream in progress.
  struct Events {
    std::string channel;
    std::string last;  // the last status sent
    uint32_t next_id = 1;
    std::chrono::steady_clock::time_point last_sent;
  };
  std::optional<Events> events_;
};

}  // namespace ttsd::daemon
