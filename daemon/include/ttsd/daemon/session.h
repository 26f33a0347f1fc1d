// One client connection: reads frames, opens and steers requests, writes frames back in order.
//   auto s = std::make_shared<Session>(std::move(socket), context); s->Start();
// Thread-safety: every method runs on the I/O thread (the single thread running the io_context);
// worker threads reach a session only by posting to that context.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/channel-hub.h"
#include "ttsd/daemon/daemon-config.h"
#include "ttsd/daemon/scheduler.h"
#include "ttsd/daemon/voice-registry.h"
#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/version.h"

namespace ttsd::daemon {

// What every session shares; owned by the Server, outlives all sessions.
struct SessionContext {
  const DaemonConfig* config = nullptr;        // not owned
  const VoiceRegistry* voices = nullptr;       // not owned
  InferenceScheduler* scheduler = nullptr;     // not owned
  ChannelHub* channels = nullptr;              // not owned
  std::atomic<size_t> open_requests{0};        // across all sessions
  std::atomic<uint64_t> next_connection_id{1};
  std::atomic<uint64_t> next_request_serial{1};
  bool shutting_down = false;                  // I/O thread only
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  Session(Socket socket, SessionContext* context);
  ~Session();

  void Start();
  // Cancels every open request and closes the socket.
  void Close();
  // Cancels every open request, writes what is queued, then closes.
  void CloseWhenFlushed();
  size_t open_requests() const { return jobs_.size() + channel_requests_.size() + listens_.size(); }
  uint64_t id() const { return id_; }

 private:
  void ReadMore();
  void OnFrame(protocol::Frame frame);
  void OnHello(const protocol::Frame& frame);
  void OnSynthesize(const protocol::Frame& frame);
  void OnText(const protocol::Frame& frame);
  void OnCancel(const protocol::Frame& frame);
  void OnListen(const protocol::Frame& frame);
  void OnChannelControl(const protocol::Frame& frame);
  // A synthesize request whose audio goes to a channel. Takes the stream the request opened.
  void EnqueueOnChannel(uint32_t id, const protocol::SynthesizeRequest& request, std::unique_ptr<engine::Stream> stream,
                        protocol::Accepted accepted);
  // Errors for an id that cannot open a request now: duplicate, limits, shutdown.
  std::optional<Error> CheckNewRequest(uint32_t id) const;

  std::shared_ptr<Job> MakeJob(uint32_t request_id, std::unique_ptr<engine::Stream> stream,
                               protocol::SampleFormat format);
  // Runs on the I/O thread after a job's terminal frame was queued.
  void EndRequest(uint32_t request_id, uint64_t serial);

  void SendError(uint32_t request_id, const Error& error);
  // Queues a frame; bytes already counted in outbound_bytes_ when counted is true.
  void Send(std::vector<uint8_t> frame, bool counted = false);
  // For live channel audio: dropped (not queued) while the client is behind. False once closed.
  bool SendLive(std::vector<uint8_t> frame);
  void WriteNext();
  void FailConnection(const Error& error);  // error with request id 0, then close
  void ArmIdleTimer();

  Socket socket_;
  SessionContext* context_;  // not owned
  uint64_t id_;
  protocol::FrameDecoder decoder_;
  std::vector<uint8_t> read_buffer_;
  std::deque<std::vector<uint8_t>> write_queue_;
  bool writing_ = false;
  bool greeted_ = false;
  bool closing_ = false;  // close once the write queue is empty
  bool closed_ = false;
  bool read_paused_ = false;  // reading stops while the client does not read our answers
  // Bytes posted by workers or queued but not yet written; read by workers for backpressure.
  std::shared_ptr<std::atomic<size_t>> outbound_bytes_;
  std::map<uint32_t, std::shared_ptr<Job>> jobs_;
  std::map<uint32_t, uint64_t> channel_requests_;                 // request id -> utterance id
  std::map<uint32_t, std::pair<std::string, uint64_t>> listens_;  // request id -> channel, listener id
  uint64_t dropped_live_frames_ = 0;
  boost::asio::steady_timer idle_timer_;
};

}  // namespace ttsd::daemon
