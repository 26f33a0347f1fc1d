// One synthesis request on a Connection: send it, then receive its audio into an AudioSink as it arrives.
//   auto syn = Synthesis::Start(conn.get(), request);          // Result<Synthesis>
//   Status s = syn->Receive(sink.get()); std::cerr << syn->stats().ToJsonLine();
// Thread-safety: Receive runs on the connection's reader thread; text for a request started with
// final=false may be appended meanwhile from another thread (Connection::AppendText, TextPump).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "ttsd/client/audio-sink.h"
#include "ttsd/client/connection.h"
#include "ttsd/client/stats.h"

namespace ttsd::client {

struct ReceiveOptions {
  // Give up with kTimeout when ttsd sends nothing for this long; 0 waits for ever. Suspended while
  // *text_open is true (the request is waiting for our text, not the other way round).
  std::chrono::milliseconds idle_timeout{0};
  const std::atomic<bool>* text_open = nullptr;  // not owned; may be null
  // Set from any thread or a signal handler to cancel: kCancel goes out at once, then Receive waits up to
  // cancel_grace for the request to end.
  const std::atomic<bool>* cancel = nullptr;  // not owned; may be null
  std::chrono::milliseconds cancel_grace{2000};
  // How often cancel and the idle timeout are looked at while no frame arrives.
  std::chrono::milliseconds poll_interval{50};
  // Called with each kMarks frame (request.marks), before the audio that reaches them. An error ends
  // the request as the sink's errors do.
  std::function<Status(const protocol::Marks&, uint32_t sample_rate)> on_marks;
  // Called with the JSON of each kChannelEvent frame (a listen with events), checked to parse.
  std::function<Status(std::span<const uint8_t> json)> on_channel_event;
};

// Reference audio sent with a request: the files' bytes as they are (ttsd decodes them).
struct ReferenceFiles {
  std::vector<std::vector<uint8_t>> speaker;  // clone the speaker from these (at most 8)
  std::optional<std::vector<uint8_t>> emotion;  // take the emotion from this one
  bool empty() const { return speaker.empty() && !emotion; }
};

class Synthesis {
 public:
  // Sends kSynthesize on conn (not owned; must outlive this object), then the reference files (setting
  // request.references and request.emotion_reference from them), and starts the clock for the stats.
  // Errors: those of Connection::StartSynthesis and SendReference; kUnsupportedVersion when the request
  // uses emotion, duration or references and ttsd speaks only protocol version 1, or marks or SSML and
  // it speaks version 2 or older.
  static Result<Synthesis> Start(Connection* conn, const protocol::SynthesizeRequest& request,
                                 const ReferenceFiles& references = {});
  // Sends kListen for an output channel instead: Receive then writes the channel's continuous stream
  // until the listen is cancelled (options.cancel) or ttsd ends it. Errors: those of Connection::Send.
  static Result<Synthesis> Listen(Connection* conn, const protocol::ListenRequest& request);

  uint32_t request_id() const { return stats_.request_id; }
  const RequestStats& stats() const { return stats_; }

  // Reads frames until this request ends. Opens sink (not owned) at kAccepted, hands it each chunk's PCM
  // as it arrives and closes it at the end, whatever the outcome. Frames of other requests are dropped.
  // Returns ok when the last chunk arrived (also when a cancel crossed it). Errors:
  //   the server's kError for this request, or one with request id 0, with the code it sent;
  //   kCancelled   options.cancel was set (confirmed by ttsd, or not within cancel_grace);
  //   kTimeout     options.idle_timeout passed without a frame;
  //   kMalformedFrame  ttsd broke the request's rules (audio before kAccepted, a format that differs from
  //                kAccepted's, a gap in sample offsets, an unexpected frame type, an unreadable body);
  //   Connection::ReadFrame's errors (kIo, kFrameTooLarge, kMalformedFrame, kUnknownFrameType);
  //   the sink's errors (then the request is cancelled, without waiting).
  Status Receive(AudioSink* sink, const ReceiveOptions& options = {});

 private:
  Synthesis(Connection* conn, std::chrono::steady_clock::time_point start) : conn_(conn), start_(start) {}
  Status HandleFrame(const protocol::Frame& frame, AudioSink* sink, bool* done);

  Connection* conn_;  // not owned
  std::chrono::steady_clock::time_point start_;
  RequestStats stats_;
  bool accepted_ = false;
  AudioFormat format_;
  std::function<Status(const protocol::Marks&, uint32_t sample_rate)> on_marks_;
  std::function<Status(std::span<const uint8_t> json)> on_channel_event_;
};

}  // namespace ttsd::client
