// One client connection to ttsd over its Unix stream socket: connect + handshake, then frames.
//   auto conn = Connection::Connect(protocol::ResolveSocketPath(""));   // Result<std::unique_ptr<Connection>>
//   uint32_t id = (*conn)->StartSynthesis(request).value(); auto frame = (*conn)->ReadFrame();
// Thread-safety: the sending methods (Send, StartSynthesis, AppendText, Cancel) may be called from any
// thread at once; the reading methods (ReadFrame, ListVoices, Ping) from one reader thread at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ttsd/protocol/error.h"
#include "ttsd/protocol/frame.h"
#include "ttsd/protocol/messages.h"
#include "ttsd/protocol/voice-messages.h"

namespace ttsd::client {

struct ConnectOptions {
  std::string client_name;  // sent in kHello; empty: "ttsd-client/<version>"
  uint32_t min_version = protocol::kProtocolVersionMin;
  uint32_t max_version = protocol::kProtocolVersionMax;
  // How long to wait for kWelcome. Generous: a socket-activated ttsd loads its voices first.
  std::chrono::milliseconds handshake_timeout{30'000};
};

class Connection {
 public:
  // Connects to the socket at path and performs the handshake. Errors:
  //   kIo                 the socket cannot be reached ("cannot connect to PATH: ... — is ttsd running?"),
  //                       or ttsd closed the connection during the handshake;
  //   kTimeout            no kWelcome within options.handshake_timeout;
  //   kUnsupportedVersion the server refused our versions, or chose one outside them;
  //   kMalformedFrame, kFrameTooLarge, kUnknownFrameType  the server's answer is not a valid kWelcome;
  //   any other code      the kError the server answered the hello with.
  static Result<std::unique_ptr<Connection>> Connect(const std::string& path, const ConnectOptions& options = {});

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const protocol::Welcome& welcome() const { return welcome_; }
  const std::string& path() const { return path_; }
  // The largest payload this connection may send: the server's max_payload_bytes, or the protocol's cap.
  uint32_t max_send_payload_bytes() const;

  // Sends one frame (whole, never interleaved with another thread's). Errors: kFrameTooLarge (payload above
  // max_send_payload_bytes(); nothing is sent), kIo (the connection is gone).
  Status Send(protocol::FrameType type, uint8_t flags, uint32_t request_id, std::span<const uint8_t> payload);

  // The next frame from the server. timeout: std::nullopt waits for ever. Frames that ListVoices() or
  // Ping() read past while waiting for their answer come first. Errors: kTimeout (nothing complete within
  // timeout; the connection stays usable), kIo (closed or failed; "ttsd closed the connection"),
  // kMalformedFrame, kFrameTooLarge, kUnknownFrameType (framing is lost; every later call fails the same).
  Result<protocol::Frame> ReadFrame(std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // A fresh request id: nonzero, distinct from every other id this connection handed out (until 2^32 wrap).
  uint32_t NextRequestId();

  // kListVoices and wait for kVoices. Frames of other requests read meanwhile are kept for ReadFrame().
  // Errors: ReadFrame's and Send's, kMalformedFrame for a bad kVoices body, or the server's kError.
  Result<protocol::VoiceList> ListVoices(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // kPing and wait for its kPong; returns the round-trip time. Errors as ListVoices.
  Result<std::chrono::nanoseconds> Ping(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Sends kSynthesize and returns the request id. A request whose JSON would pass the server's payload cap
  // is sent with its text in kText frames instead. Errors: kBadRequest (text not UTF-8), Send's.
  Result<uint32_t> StartSynthesis(const protocol::SynthesizeRequest& request);

  // Appends text to an open request (one started with final=false), in as many kText frames as the payload
  // cap needs, cut between characters; final closes the text (an empty final frame when text is empty).
  // Empty, non-final text sends nothing. Errors: kBadRequest (text not UTF-8), Send's.
  // flush (protocol version 3; ignored by older servers) has ttsd speak what it has so far without
  // waiting for a sentence end.
  Status AppendText(uint32_t request_id, std::string_view text, bool final, bool flush = false);

  // kCancel for the request. The server answers kError kCancelled unless the request already ended.
  Status Cancel(uint32_t request_id);

  // Sends one reference audio file (its bytes as they are; ttsd decodes them) for an open request in
  // as many kReference frames as the payload cap needs, the last flagged kFlagEndOfFile; emotion marks
  // the request's emotion reference. Errors: kUnsupportedVersion (ttsd speaks protocol version 1),
  // Send's.
  Status SendReference(uint32_t request_id, std::span<const uint8_t> file, bool emotion);

  // kVoiceAdd, the reference files, then waits for kVoiceSaved: the voice is on ttsd's disk. Sets
  // add.references from files. Errors: kUnsupportedVersion, ttsd's kError (kBadAudio, kVoiceExists,
  // kNotSupported, kBadRequest, kUnknownVoice, ...), ReadFrame's and Send's, kMalformedFrame.
  Result<protocol::VoiceSaved> AddVoice(protocol::VoiceAdd add, std::span<const std::vector<uint8_t>> files,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // kVoiceRemove and waits for kVoiceRemoved. Errors: as AddVoice (kUnknownVoice when none is saved).
  Status RemoveVoice(const std::string& name, std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  Connection(int fd, std::string path);
  Status Handshake(const ConnectOptions& options);
  // Reads until a frame with request_id arrives, stashing others. Used by ListVoices and Ping.
  Result<protocol::Frame> AwaitReply(uint32_t request_id, std::chrono::steady_clock::time_point deadline);

  const int fd_;  // owned; closed by the destructor
  const std::string path_;
  protocol::Welcome welcome_;
  std::atomic<uint32_t> next_id_{1};

  std::mutex write_mutex_;  // protects writes to fd_, so frames from different threads never interleave

  // Reader-thread state.
  protocol::FrameDecoder decoder_{protocol::kMaxServerPayloadBytes};
  std::deque<protocol::Frame> stash_;  // frames read past by AwaitReply, returned first by ReadFrame
  bool eof_ = false;
  std::optional<Error> read_error_;  // sticky once the stream is unusable
};

// The error a kError frame carries (code and message as the server sent them); a body that does not parse
// gives kMalformedFrame.
Error ErrorFromFrame(const protocol::Frame& frame);

}  // namespace ttsd::client
