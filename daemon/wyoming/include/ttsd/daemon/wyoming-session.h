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
// The transport (queue, backpressure, idle watchdog) is its Connection.
// Thread-safety: every method runs on the I/O thread; workers reach a session only by posting to it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/connection.h"
#include "ttsd/daemon/session.h"
#include "ttsd/daemon/wyoming-event.h"

namespace ttsd::daemon {

class WyomingSession : public Connection {
 public:
  static constexpr size_t kMaxWaitingEvents = 16;

  // peer: the client's address, for logs.
  WyomingSession(Socket socket, SessionContext* context, std::string peer);
  ~WyomingSession() override;

 private:
  // Connection's hooks.
  bool OnBytes(std::span<const uint8_t> bytes) override;
  void OnInputEnded() override { CheckInputEnded(); }  // finish what was asked for, then close
  bool HasOpenWork() const override { return job_ || !waiting_.empty(); }
  void OnIdleWithOpenWork(int timeout_s) override;  // a stream waiting for text ends with kTimeout
  void OnWritesCaughtUp() override;                 // wakes the job
  void OnClose() override;                          // cancels the open request
  void OnCloseWhenFlushed() override;               // cancels the open request
  void OnFail(const Error& error) override;         // the `error` event

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
  std::weak_ptr<WyomingSession> weak_self() { return SharedAs<WyomingSession>(); }

  WyomingDecoder decoder_;
  std::shared_ptr<Job> job_;  // the request being spoken, if any
  bool streaming_ = false;    // job_ came from synthesize-start
  bool text_closed_ = false;  // job_ takes no more text
  std::deque<WyomingEvent> waiting_;
};

}  // namespace ttsd::daemon
