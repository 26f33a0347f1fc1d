#include "ttsd/client/rtp-opus-sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <opus.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "opus-framer.h"
#include "real-time-pacer.h"

namespace ttsd::client {
namespace {

constexpr size_t kRtpHeaderBytes = 12;
constexpr size_t kMaxOpusPacketBytes = 1275;  // RFC 6716's largest frame

// Writes text to path through a temporary file and rename, so a reader sees the old file or the new one.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
  }
  return {};
}

void PutBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void PutBe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

}  // namespace

std::string RtpOpusSink::Sdp(const std::string& address, uint16_t port) {
  const std::string family = address.find(':') != std::string::npos ? "IP6" : "IP4";
  const std::string pt = std::to_string(RtpOptions::kPayloadType);
  return "v=0\r\n"
         "o=- 0 0 IN " + family + " " + address + "\r\n"
         "s=ttsc\r\n"
         "c=IN " + family + " " + address + "\r\n"
         "t=0 0\r\n"
         "m=audio " + std::to_string(port) + " RTP/AVP " + pt + "\r\n"
         "a=rtpmap:" + pt + " opus/48000/2\r\n"
         "a=fmtp:" + pt + " minptime=10;useinbandfec=0;stereo=0;sprop-stereo=0\r\n"
         "a=ptime:20\r\n";
}

Result<std::unique_ptr<RtpOpusSink>> RtpOpusSink::Create(const RtpOptions& options) {
  if (options.port == 0) return MakeError(ErrorCode::kBadRequest, "RTP needs a destination port other than 0");
  if (options.bitrate_bps < codec::OggOpusEncoder::kMinBitrateBps || options.bitrate_bps > codec::OggOpusEncoder::kMaxBitrateBps) {
    return MakeError(ErrorCode::kBadRequest, "Opus bitrate " + std::to_string(options.bitrate_bps) + " b/s is outside " +
                                                 std::to_string(codec::OggOpusEncoder::kMinBitrateBps) + ".." +
                                                 std::to_string(codec::OggOpusEncoder::kMaxBitrateBps));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(options.port);
  if (int rc = ::getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); rc != 0 || !found) {
    return MakeError(ErrorCode::kBadRequest, "cannot resolve RTP destination '" + options.host + "': " + gai_strerror(rc));
  }
  std::unique_ptr<RtpOpusSink> sink(new RtpOpusSink());
  sink->options_ = options;
  std::memcpy(&sink->dest_, found->ai_addr, found->ai_addrlen);
  sink->dest_len_ = found->ai_addrlen;
  const int family = found->ai_family;
  ::freeaddrinfo(found);

  char text[INET6_ADDRSTRLEN] = {};
  const void* raw = family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&sink->dest_)->sin6_addr)
                                       : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&sink->dest_)->sin_addr);
  ::inet_ntop(family, raw, text, sizeof(text));
  sink->address_ = text;

  sink->fd_ = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sink->fd_ < 0) return MakeError(ErrorCode::kIo, std::string("cannot open a UDP socket: ") + std::strerror(errno));
  if (!options.sdp_path.empty()) {
    if (auto s = WriteFileAtomically(options.sdp_path, Sdp(sink->address_, options.port)); !s) {
      return std::unexpected(s.error());
    }
  }
  sink->ssrc_ = static_cast<uint32_t>(sink->random_());
  sink->sequence_ = static_cast<uint16_t>(sink->random_());
  sink->timestamp_ = static_cast<uint32_t>(sink->random_());
  sink->pacer_ = std::make_unique<RealTimePacer>();
  return sink;
}

RtpOpusSink::~RtpOpusSink() {
  (void)Close();
  if (encoder_) opus_encoder_destroy(encoder_);
  if (fd_ >= 0) ::close(fd_);
}

std::string RtpOpusSink::Describe() const {
  const bool v6 = address_.find(':') != std::string::npos;
  return "Opus over RTP to " + (v6 ? "[" + address_ + "]" : address_) + ":" + std::to_string(options_.port);
}

Status RtpOpusSink::Open(const AudioFormat& format) {
  if (closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already closed");
  if (encoder_) return MakeError(ErrorCode::kBadRequest, Describe() + " is already open");
  if (format.sample_rate_hz == 0) return MakeError(ErrorCode::kBadRequest, "audio format has a zero rate");
  auto framer = OpusFramer::Create(format);
  if (!framer) return std::unexpected(framer.error());
  int error = OPUS_OK;
  OpusEncoder* enc = opus_encoder_create(OpusFramer::kRateHz, 1, OPUS_APPLICATION_AUDIO, &error);
  if (!enc || error != OPUS_OK) return MakeError(ErrorCode::kInternal, std::string("libopus: ") + opus_strerror(error));
  opus_encoder_ctl(enc, OPUS_SET_BITRATE(static_cast<opus_int32>(options_.bitrate_bps)));
  opus_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  encoder_ = enc;
  framer_ = std::make_unique<OpusFramer>(std::move(*framer));
  packet_.resize(kRtpHeaderBytes + kMaxOpusPacketBytes);
  // The lead-in: see the header.
  const std::vector<float> silence(OpusFramer::kFrameSamples, 0.0f);
  return EncodeAndSend(silence);
}

Status RtpOpusSink::Write(std::span<const uint8_t> pcm) {
  if (!encoder_ || closed_) return MakeError(ErrorCode::kBadRequest, Describe() + " is not open");
  return framer_->Push(pcm, [this](std::span<const float> frame) { return EncodeAndSend(frame); });
}

Status RtpOpusSink::Close() {
  if (closed_) return {};
  closed_ = true;
  if (!encoder_) return {};
  std::vector<float> padded;
  auto pad_and_send = [&](std::span<const float> frame) -> Status {
    if (frame.size() == OpusFramer::kFrameSamples) return EncodeAndSend(frame);
    const uint64_t real = samples_encoded_ + frame.size();
    padded.assign(frame.begin(), frame.end());
    padded.resize(OpusFramer::kFrameSamples, 0.0f);
    auto s = EncodeAndSend(padded);
    samples_encoded_ = real;  // the padding is not audio
    return s;
  };
  Status status = framer_->Finish(pad_and_send);
  // The decoder's output lags its input by the encoder's lookahead: send silence until the last real sample
  // has come out.
  opus_int32 lookahead = 0;
  opus_encoder_ctl(encoder_, OPUS_GET_LOOKAHEAD(&lookahead));
  const uint64_t encoded = static_cast<uint64_t>(packets_) * OpusFramer::kFrameSamples;
  if (status && packets_ > 0 && encoded < samples_encoded_ + static_cast<uint64_t>(lookahead)) {
    padded.assign(OpusFramer::kFrameSamples, 0.0f);
    status = EncodeAndSend(padded);
  }
  return status;
}

Status RtpOpusSink::EncodeAndSend(std::span<const float> frame) {
  const opus_int32 n = opus_encode_float(encoder_, frame.data(), static_cast<int>(frame.size()),
                                         packet_.data() + kRtpHeaderBytes, static_cast<opus_int32>(kMaxOpusPacketBytes));
  if (n < 0) return MakeError(ErrorCode::kInternal, std::string("libopus: ") + opus_strerror(n));
  samples_encoded_ += frame.size();
  uint8_t* h = packet_.data();
  h[0] = 0x80;  // version 2, no padding, no extension, no CSRC
  h[1] = static_cast<uint8_t>((first_packet_ ? 0x80 : 0x00) | RtpOptions::kPayloadType);
  PutBe16(h + 2, sequence_);
  PutBe32(h + 4, timestamp_);
  PutBe32(h + 8, ssrc_);
  if (options_.pace) pacer_->Wait(std::chrono::milliseconds(20));
  for (;;) {
    ssize_t sent = ::sendto(fd_, packet_.data(), kRtpHeaderBytes + static_cast<size_t>(n), 0,
                            reinterpret_cast<const sockaddr*>(&dest_), dest_len_);
    if (sent >= 0) break;
    if (errno == EINTR) continue;
    // Nobody listening yet (an ICMP port unreachable came back) is normal for a live stream.
    if (errno == ECONNREFUSED) break;
    return MakeError(ErrorCode::kIo, "cannot send to " + Describe() + ": " + std::strerror(errno));
  }
  first_packet_ = false;
  sequence_++;
  timestamp_ += static_cast<uint32_t>(OpusFramer::kFrameSamples);
  packets_++;
  return {};
}

}  // namespace ttsd::client
