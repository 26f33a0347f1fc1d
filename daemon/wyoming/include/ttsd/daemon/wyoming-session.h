// One Wyoming client connection (Home Assistant, a satellite): reads events, speaks one request at
// a time through the shared scheduler, writes events back in order.
//   auto s = std::make_shared<WyomingSession>(std::move(socket), context, "127.0.0.1:51234"); s->Start();
// Events: describe -> info. synthesize -> audio-start, audio-chunk..., audio-stop.
// synthesize-start, synthesize-chunk..., synthesize-stop -> audio-start, audio-chunk..., audio-stop,
// synthesize-stopped; the chunks' text goes into one engine stream as it arrives, and the plain
// synthesize a client also sends inside the stream (for older servers) is ignored. ping -> pong.
// Other types are ignored at once. A failed request answers `error` {text, code} and the connection closes
// (what the reference server does, and what ends Home Assistant's wait); so does a broken stream.
// Requests and describe that arrive while a request runs wait for it (at most kMaxWaitingEvents).
// Thread-safety: every method runs on the I/O thread; workers reach a session only by posting to it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/session.h"
#include "ttsd/daemon/wyoming-event.h"

namespace ttsd::daemon {

class WyomingSession : public std::enable_shared_from_this<WyomingSession> {
 public:
  using Socket = boost::asio::generic::stream_protocol::socket;
  static constexpr size_t kMaxWaitingEvents = 16;

  // peer: the client's address, for logs.
  WyomingSession(Socket socket, SessionContext* context, std::string peer);
  ~WyomingSession();

  void Start();
  // Cancels the open request and closes the socket.
  void Close();
  // Cancels the open request, writes what is queued, then closes.
  void CloseWhenFlushed();

 private:
  void ReadMore();
  void OnInputEnded();
  void CheckInputEnded();  // after the client half-closed: close once nothing is left to do
  // Takes an event from the reader: handled now, or queued behind the running request.
  void OnEvent(WyomingEvent event);
  void Dispatch();       // handles queued events that may run now
  bool RunsNow() const;  // whether the next event may run now
  void Handle(WyomingEvent event);
  void OnSynthesize(const WyomingEvent& event);
  void OnSynthesizeStart(const WyomingEvent& event);
  // Resolves the voice, opens the engine stream, sends audio-start and submits the job.
  Status StartRequest(const nlohmann::json& data, std::string text, bool final);
  void OnRequestEnd(uint64_t serial);
  void OnRequestFailed(uint64_t serial, const Error& error);

  void SendEvent(std::string_view type, const nlohmann::json& data = nullptr);
  // Queues bytes; already counted in outbound_bytes_ when counted is true.
  void Send(std::vector<uint8_t> bytes, bool counted = false);
  void WriteNext();
  void Fail(const Error& error);  // `error` event, then close once written
  // Fires after delay (0: the idle timeout); closes the connection once no request is open or waiting
  // and no event went in or out for the idle timeout.
  void ArmIdleTimer(std::chrono::steady_clock::duration delay = {});

  Socket socket_;
  SessionContext* context_;  // not owned
  uint64_t id_;
  std::string peer_;
  WyomingDecoder decoder_;
  std::vector<uint8_t> read_buffer_;
  std::deque<std::vector<uint8_t>> write_queue_;
  bool writing_ = false;
  bool closing_ = false;      // close once the write queue is empty
  bool closed_ = false;
  bool read_paused_ = false;  // the client does not read our audio
  bool input_ended_ = false;  // the client half-closed: finish what it asked for, then close
  std::shared_ptr<WyomingSession> keep_alive_;  // set once input ended, until Close
  // Bytes posted by workers or queued but not yet written; read by workers for backpressure.
  std::shared_ptr<std::atomic<size_t>> outbound_bytes_;
  std::shared_ptr<Job> job_;  // the request being spoken, if any
  bool streaming_ = false;    // job_ came from synthesize-start
  bool text_closed_ = false;  // job_ takes no more text
  std::deque<WyomingEvent> waiting_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

}  // namespace ttsd::daemon
