// One client connection of the native protocol: reads frames, opens and steers requests, writes
// frames back in order. The transport (queue, backpressure, idle watchdog) is its Connection.
//   auto s = std::make_shared<Session>(std::move(socket), context); s->Start();
// Thread-safety: every method runs on the I/O thread (the single thread running the io_context);
// worker threads reach a session only by posting to that context.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <utility>  // before Asio: Boost 1.74 needs it under C++23

#include <boost/asio.hpp>

#include "ttsd/daemon/channel-hub.h"
#include "ttsd/daemon/connection.h"
#include "ttsd/daemon/daemon-config.h"
#include "ttsd/daemon/metrics.h"
#include "ttsd/daemon/reference-upload.h"
#include "ttsd/daemon/scheduler.h"
#include "ttsd/daemon/voice-registry.h"
#include "ttsd/daemon/voice-store.h"
#include "ttsd/daemon/voice-style.h"
#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/voice-messages.h"
#include "ttsd/version.h"

namespace ttsd::daemon {

// What every session shares; owned by the Server, outlives all sessions.
struct SessionContext {
  const DaemonConfig* config = nullptr;        // not owned
  const VoiceRegistry* voices = nullptr;       // not owned
  InferenceScheduler* scheduler = nullptr;     // not owned
  ChannelHub* channels = nullptr;              // not owned
  VoiceStore* store = nullptr;                 // not owned; null: no saved voices
  Metrics* metrics = nullptr;                  // not owned; null: nothing counted
  std::atomic<size_t> open_requests{0};        // across all sessions
  std::atomic<uint64_t> next_connection_id{1};
  std::atomic<uint64_t> next_request_serial{1};
  bool shutting_down = false;                  // I/O thread only
};

// A voice as a request names it: a package, or a saved voice (a package plus a cloned speaker).
struct ResolvedVoice {
  std::shared_ptr<const engine::Voice> voice;  // the package that speaks
  std::string name;                            // the package's name or the saved voice's
  std::shared_ptr<const SavedVoice> saved;     // null unless a saved voice
};

// A request that cannot start yet: it waits for its reference files, then for a worker to turn
// them into a style (and, for voice_add, to save the voice). Owned by its Session.
struct PendingRequest {
  enum class Kind { kSynthesize, kVoiceAdd };
  Kind kind = Kind::kSynthesize;
  uint64_t serial = 0;
  protocol::SynthesizeRequest request;  // kSynthesize
  protocol::VoiceAdd add;               // kVoiceAdd
  ResolvedVoice target;
  ReferenceUpload upload{0, false, 0};
  std::string text;          // text frames that arrived meanwhile (streaming requests)
  bool text_closed = false;
  bool preparing = false;    // every file is here; a worker is on it
};

// The kinds of request a session has open, each under its request id.
struct ChannelUtterance {  // a synthesize whose audio goes to a channel
  uint64_t utterance = 0;  // the ChannelHub's id for it
};
struct ChannelListen {  // a listen on a channel
  std::string channel;
  uint64_t listener = 0;        // the ChannelHub's id for its audio; 0: events only
  std::shared_ptr<void> watch;  // its events (ChannelHub::Watch) while held; null: audio only
};
using Request = std::variant<std::shared_ptr<Job>, ChannelUtterance, ChannelListen, std::shared_ptr<PendingRequest>>;

class Session : public Connection {
 public:
  // front_end: where its requests are counted (Metrics); kHttp for Server::ConnectInProcess.
  Session(Socket socket, SessionContext* context, FrontEndKind front_end = FrontEndKind::kNative);
  ~Session() override;

  size_t open_requests() const { return requests_.size(); }

 private:
  // Connection's hooks.
  bool OnBytes(std::span<const uint8_t> bytes) override;
  bool HasOpenWork() const override { return !requests_.empty(); }
  void OnIdleWithOpenWork(int timeout_s) override;  // abandoned text streams and uploads end with kTimeout
  void OnWritesCaughtUp() override;                 // wakes the jobs
  void OnClose() override;                          // cancels every open request
  void OnCloseWhenFlushed() override;               // ends every open request with shutting_down
  void OnFail(const Error& error) override;         // the error with request id 0

  // The request open under id when it is of kind T, else null.
  template <typename T>
  T* Find(uint32_t id) {
    auto it = requests_.find(id);
    return it == requests_.end() ? nullptr : std::get_if<T>(&it->second);
  }
  // The job behind id: its own, or the one its channel utterance runs; null if neither.
  std::shared_ptr<Job> FindJob(uint32_t id);

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
  // Starts the request's stream and its generation (or queues it on its channel).
  void OpenStream(uint32_t id, const protocol::SynthesizeRequest& request, const ResolvedVoice& voice,
                  engine::StreamOptions options, uint64_t serial = 0);

  // Reference audio, saved voices, emotion (session-style.cc).
  Result<ResolvedVoice> ResolveVoice(const std::string& name) const;
  protocol::VoiceList DescribeVoices() const;
  // Errors: kBadRequest (fields that exclude each other, references on protocol version 1),
  // kNotSupported (the voice lacks a stage), kModelError (a saved voice that does not fit its voice).
  Status CheckStyle(const protocol::SynthesizeRequest& request, const ResolvedVoice& voice) const;
  // True when the request must wait for reference files or a worker before it can start.
  static bool NeedsPreparing(const protocol::SynthesizeRequest& request);
  void Defer(uint32_t id, std::shared_ptr<PendingRequest> pending);
  void OnReference(const protocol::Frame& frame);
  void OnPendingText(uint32_t id, const protocol::Frame& frame);
  void OnVoiceAdd(const protocol::Frame& frame);
  void OnVoiceRemove(const protocol::Frame& frame);
  void MaybePrepare(uint32_t id);  // hands a pending request whose files are all here to a worker
  void OnPrepared(uint32_t id, uint64_t serial, Result<Style> style);
  void OnVoiceSaved(uint32_t id, uint64_t serial, Result<protocol::VoiceSaved> saved);
  std::shared_ptr<PendingRequest> TakePending(uint32_t id, uint64_t serial);  // null if gone
  void EndPending(uint32_t id, const Error& error);  // the request ends with error
  // The connection ends: forget them all (a synthesize is counted as ending with reason).
  void DropPending(ErrorCode reason = ErrorCode::kCancelled);
  void ExpirePending(int timeout_s);                 // idle: uploads that stalled end with kTimeout

  // serial 0: a new daemon-wide number (a request that waited for its references keeps its own).
  // voice: its name, for the metrics. loudness_lufs: the request's "loudness", if any.
  std::shared_ptr<Job> MakeJob(uint32_t request_id, const std::string& voice, std::unique_ptr<engine::Stream> stream,
                               protocol::SampleFormat format, uint64_t serial = 0,
                               std::optional<double> loudness_lufs = std::nullopt);
  // Runs on the I/O thread after a job's terminal frame was queued.
  void EndRequest(uint32_t request_id, uint64_t serial);
  void CancelJobs();  // asks the scheduler to end every job; they leave requests_ as they end

  void SendError(uint32_t request_id, const Error& error);
  // A synthesize request that ends without a job of its own: counted (voice kNoVoice when not known yet), then its error.
  void RefuseSpeech(uint32_t request_id, const Error& error, std::string_view voice = kNoVoice);
  void CountSpeech(std::string_view voice, std::string_view outcome);
  std::weak_ptr<Session> weak_self() { return SharedAs<Session>(); }

  const FrontEndKind front_end_;
  protocol::FrameDecoder decoder_;
  bool greeted_ = false;
  uint32_t version_ = 0;  // negotiated in OnHello
  // Every open request, whatever its kind: the one table that limits, cancel, text and the idle
  // watchdog consult.
  std::map<uint32_t, Request> requests_;
};

}  // namespace ttsd::daemon
