#include "ttsd/client/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "ttsd/version.h"

namespace ttsd::client {
namespace {

using protocol::Frame;
using protocol::FrameType;
using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunkBytes = 64 * 1024;

std::string Errno(int err) { return std::strerror(err); }

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Length of the longest prefix of text, at most max_bytes, that does not cut a UTF-8 sequence.
size_t Utf8Cut(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text.size();
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace

Error ErrorFromFrame(const Frame& frame) {
  auto body = protocol::ParseErrorBody(frame.payload);
  if (!body) {
    return Error{ErrorCode::kMalformedFrame, "unreadable error frame from ttsd: " + body.error().message};
  }
  return Error{body->code, body->message};
}

Result<std::unique_ptr<Connection>> Connection::Connect(const std::string& path, const ConnectOptions& options) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty()) return MakeError(ErrorCode::kIo, "cannot connect: empty socket path");
  if (path.size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kIo, "cannot connect to " + path + ": socket path is longer than " +
                                         std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot create a socket: " + Errno(errno));
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    ::close(fd);
    std::string message = "cannot connect to " + path + ": " + Errno(err);
    if (err == ENOENT || err == ECONNREFUSED) message += " — is ttsd running?";
    return MakeError(ErrorCode::kIo, std::move(message));
  }

  std::unique_ptr<Connection> conn(new Connection(fd, path));
  if (auto s = conn->Handshake(options); !s) return std::unexpected(s.error());
  return conn;
}

Connection::Connection(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

Connection::~Connection() { ::close(fd_); }

Status Connection::Handshake(const ConnectOptions& options) {
  protocol::Hello hello;
  hello.min_version = options.min_version;
  hello.max_version = options.max_version;
  hello.client = options.client_name.empty() ? std::string("ttsd-client/") + TTSD_VERSION : options.client_name;
  if (auto s = Send(FrameType::kHello, 0, 0, protocol::Serialize(hello)); !s) return s;

  auto frame = ReadFrame(options.handshake_timeout);
  if (!frame) {
    Error e = frame.error();
    if (e.code == ErrorCode::kTimeout) {
      e.message = "no answer from ttsd at " + path_ + " within " +
                  std::to_string(options.handshake_timeout.count()) + " ms of connecting";
    } else if (e.code == ErrorCode::kIo) {
      e.message += " during the handshake";
    }
    return std::unexpected(std::move(e));
  }
  if (frame->header.type == FrameType::kError) return std::unexpected(ErrorFromFrame(*frame));
  if (frame->header.type != FrameType::kWelcome || frame->header.request_id != 0) {
    return MakeError(ErrorCode::kMalformedFrame, "ttsd answered the hello with frame type " +
                                                     std::to_string(static_cast<int>(frame->header.type)) +
                                                     " instead of a welcome");
  }
  auto welcome = protocol::ParseWelcome(frame->payload);
  if (!welcome) return MakeError(ErrorCode::kMalformedFrame, "bad welcome from ttsd: " + welcome.error().message);
  if (welcome->version < options.min_version || welcome->version > options.max_version) {
    return MakeError(ErrorCode::kUnsupportedVersion,
                     "ttsd chose protocol version " + std::to_string(welcome->version) + ", this client speaks " +
                         std::to_string(options.min_version) + ".." + std::to_string(options.max_version));
  }
  welcome_ = std::move(*welcome);
  return {};
}

uint32_t Connection::max_send_payload_bytes() const {
  if (welcome_.max_payload_bytes == 0) return protocol::kMaxClientPayloadBytes;
  return welcome_.max_payload_bytes;
}

Status Connection::Send(FrameType type, uint8_t flags, uint32_t request_id, std::span<const uint8_t> payload) {
  if (payload.size() > max_send_payload_bytes()) {
    return MakeError(ErrorCode::kFrameTooLarge, "payload of " + std::to_string(payload.size()) +
                                                    " bytes exceeds ttsd's cap of " +
                                                    std::to_string(max_send_payload_bytes()));
  }
  std::vector<uint8_t> bytes = protocol::EncodeFrame(type, flags, request_id, payload);
  std::lock_guard lock(write_mutex_);
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE || errno == ECONNRESET) return MakeError(ErrorCode::kIo, "ttsd closed the connection");
      return MakeError(ErrorCode::kIo, "cannot write to " + path_ + ": " + Errno(errno));
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

Result<Frame> Connection::ReadFrame(std::optional<std::chrono::milliseconds> timeout) {
  if (!stash_.empty()) {
    Frame f = std::move(stash_.front());
    stash_.pop_front();
    return f;
  }
  if (read_error_) return std::unexpected(*read_error_);
  const bool has_deadline = timeout.has_value();
  const Clock::time_point deadline = has_deadline ? Clock::now() + *timeout : Clock::time_point::max();
  for (;;) {
    auto next = decoder_.Next();
    if (!next) {
      read_error_ = next.error();
      read_error_->message = "bad frame from ttsd: " + read_error_->message;
      return std::unexpected(*read_error_);
    }
    if (*next) {
      if (protocol::IsClientFrameType((*next)->header.type)) {
        read_error_ = Error{ErrorCode::kMalformedFrame,
                            "ttsd sent a client frame type " +
                                std::to_string(static_cast<int>((*next)->header.type))};
        return std::unexpected(*read_error_);
      }
      return std::move(**next);
    }
    if (eof_) {
      read_error_ = Error{ErrorCode::kIo, decoder_.buffered_bytes() > 0
                                              ? "ttsd closed the connection in the middle of a frame"
                                              : "ttsd closed the connection"};
      return std::unexpected(*read_error_);
    }

    int wait_ms = -1;
    if (has_deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return MakeError(ErrorCode::kTimeout, "no frame from ttsd within the timeout");
      wait_ms = static_cast<int>(std::min<long long>(left, 1'000'000'000));
    }
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, wait_ms);
    if (rc < 0) {
      if (errno == EINTR) continue;
      read_error_ = Error{ErrorCode::kIo, "cannot wait on " + path_ + ": " + Errno(errno)};
      return std::unexpected(*read_error_);
    }
    if (rc == 0) continue;  // the deadline check above reports the timeout

    uint8_t buf[kReadChunkBytes];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) {
        eof_ = true;
        continue;
      }
      read_error_ = Error{ErrorCode::kIo, "cannot read from " + path_ + ": " + Errno(errno)};
      return std::unexpected(*read_error_);
    }
    if (n == 0) {
      eof_ = true;
      continue;
    }
    decoder_.Feed({buf, static_cast<size_t>(n)});
  }
}

uint32_t Connection::NextRequestId() {
  for (;;) {
    uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
    if (id != 0) return id;
  }
}

Result<Frame> Connection::AwaitReply(uint32_t request_id, Clock::time_point deadline) {
  // Frames of other requests, already stashed or read now, are held in order and stashed again at the end;
  // meanwhile stash_ stays empty so ReadFrame reads the socket.
  std::deque<Frame> held;
  held.swap(stash_);
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    auto frame = ReadFrame(std::max(left, std::chrono::milliseconds(0)));
    if (!frame) {
      stash_.swap(held);
      return frame;
    }
    const auto id = frame->header.request_id;
    if (id == request_id || (id == 0 && frame->header.type == FrameType::kError)) {
      stash_.swap(held);
      if (frame->header.type == FrameType::kError) return std::unexpected(ErrorFromFrame(*frame));
      return frame;
    }
    held.push_back(std::move(*frame));
  }
}

Result<protocol::VoiceList> Connection::ListVoices(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const uint32_t id = NextRequestId();
  if (auto s = Send(FrameType::kListVoices, 0, id, {}); !s) return std::unexpected(s.error());
  auto frame = AwaitReply(id, deadline);
  if (!frame) return std::unexpected(frame.error());
  if (frame->header.type != FrameType::kVoices) {
    return MakeError(ErrorCode::kMalformedFrame, "ttsd answered a voice list request with frame type " +
                                                     std::to_string(static_cast<int>(frame->header.type)));
  }
  auto list = protocol::ParseVoiceList(frame->payload);
  if (!list) return MakeError(ErrorCode::kMalformedFrame, "bad voice list from ttsd: " + list.error().message);
  return list;
}

Result<std::chrono::nanoseconds> Connection::Ping(std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  const uint32_t id = NextRequestId();
  if (auto s = Send(FrameType::kPing, 0, id, {}); !s) return std::unexpected(s.error());
  auto frame = AwaitReply(id, start + timeout);
  if (!frame) return std::unexpected(frame.error());
  const auto rtt = Clock::now() - start;
  if (frame->header.type != FrameType::kPong) {
    return MakeError(ErrorCode::kMalformedFrame, "ttsd answered a ping with frame type " +
                                                     std::to_string(static_cast<int>(frame->header.type)));
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(rtt);
}

Result<uint32_t> Connection::StartSynthesis(const protocol::SynthesizeRequest& request) {
  if (!protocol::IsValidUtf8(request.text)) return MakeError(ErrorCode::kBadRequest, "text is not valid UTF-8");
  const uint32_t id = NextRequestId();
  std::vector<uint8_t> payload = protocol::Serialize(request);
  if (payload.size() <= max_send_payload_bytes()) {
    if (auto s = Send(FrameType::kSynthesize, 0, id, payload); !s) return std::unexpected(s.error());
    return id;
  }
  // Too long for one frame: open the request without text and stream the text after it.
  protocol::SynthesizeRequest open = request;
  open.text.clear();
  open.final = false;
  if (auto s = Send(FrameType::kSynthesize, 0, id, protocol::Serialize(open)); !s) return std::unexpected(s.error());
  if (auto s = AppendText(id, request.text, request.final); !s) return std::unexpected(s.error());
  return id;
}

Status Connection::AppendText(uint32_t request_id, std::string_view text, bool final, bool flush) {
  if (!protocol::IsValidUtf8(text)) return MakeError(ErrorCode::kBadRequest, "text is not valid UTF-8");
  const size_t cap = max_send_payload_bytes();
  const uint8_t flush_flag = flush && !final && welcome_.version >= 3 ? protocol::kFlagFlush : 0;
  if (text.empty()) {
    if (!final && flush_flag == 0) return {};
    return Send(FrameType::kText, final ? protocol::kFlagFinal : flush_flag, request_id, {});
  }
  while (!text.empty()) {
    size_t n = Utf8Cut(text, cap);
    if (n == 0) return MakeError(ErrorCode::kFrameTooLarge, "ttsd's payload cap is smaller than one character");
    const bool last = n == text.size();
    uint8_t flags = last ? (final ? protocol::kFlagFinal : flush_flag) : 0;
    if (auto s = Send(FrameType::kText, flags, request_id, AsBytes(text.substr(0, n))); !s) return s;
    text.remove_prefix(n);
  }
  return {};
}

Status Connection::Cancel(uint32_t request_id) { return Send(FrameType::kCancel, 0, request_id, {}); }

Status Connection::SendReference(uint32_t request_id, std::span<const uint8_t> file, bool emotion) {
  if (welcome_.version < 2) {
    return MakeError(ErrorCode::kUnsupportedVersion, "this ttsd speaks protocol version " +
                                                         std::to_string(welcome_.version) +
                                                         "; reference audio needs version 2 (a newer ttsd)");
  }
  const uint8_t kind = emotion ? protocol::kFlagEmotion : 0;
  const size_t cap = max_send_payload_bytes();
  do {
    const size_t n = std::min(cap, file.size());
    const uint8_t flags = kind | (n == file.size() ? protocol::kFlagEndOfFile : 0);
    if (auto s = Send(FrameType::kReference, flags, request_id, file.first(n)); !s) return s;
    file = file.subspan(n);
  } while (!file.empty());
  return {};
}

Result<protocol::VoiceSaved> Connection::AddVoice(protocol::VoiceAdd add, std::span<const std::vector<uint8_t>> files,
                                                  std::chrono::milliseconds timeout) {
  if (welcome_.version < 2) {
    return MakeError(ErrorCode::kUnsupportedVersion, "this ttsd speaks protocol version " +
                                                         std::to_string(welcome_.version) +
                                                         "; saved voices need version 2 (a newer ttsd)");
  }
  add.references = static_cast<uint32_t>(files.size());
  const uint32_t id = NextRequestId();
  if (auto s = Send(FrameType::kVoiceAdd, 0, id, protocol::Serialize(add)); !s) return std::unexpected(s.error());
  for (const auto& file : files) {
    // ttsd may refuse the request before every file is sent; its error is the answer to report.
    if (auto s = SendReference(id, file, false); !s) break;
  }
  auto frame = AwaitReply(id, Clock::now() + timeout);
  if (!frame) return std::unexpected(frame.error());
  if (frame->header.type != FrameType::kVoiceSaved) {
    return MakeError(ErrorCode::kMalformedFrame, "ttsd answered voice_add with frame type " +
                                                     std::to_string(static_cast<int>(frame->header.type)));
  }
  auto saved = protocol::ParseVoiceSaved(frame->payload);
  if (!saved) return MakeError(ErrorCode::kMalformedFrame, "bad voice_saved from ttsd: " + saved.error().message);
  return saved;
}

Status Connection::RemoveVoice(const std::string& name, std::chrono::milliseconds timeout) {
  if (welcome_.version < 2) {
    return MakeError(ErrorCode::kUnsupportedVersion, "this ttsd speaks protocol version " +
                                                         std::to_string(welcome_.version) +
                                                         "; saved voices need version 2 (a newer ttsd)");
  }
  const uint32_t id = NextRequestId();
  if (auto s = Send(FrameType::kVoiceRemove, 0, id, protocol::Serialize(protocol::VoiceRemove{name})); !s) return s;
  auto frame = AwaitReply(id, Clock::now() + timeout);
  if (!frame) return std::unexpected(frame.error());
  if (frame->header.type != FrameType::kVoiceRemoved) {
    return MakeError(ErrorCode::kMalformedFrame, "ttsd answered voice_remove with frame type " +
                                                     std::to_string(static_cast<int>(frame->header.type)));
  }
  return {};
}

}  // namespace ttsd::client
