// An AudioSink that streams Opus over RTP/UDP (RFC 7587) to host:port and describes the stream in an SDP
// file that ffmpeg and OBS open: payload type 111, 48 kHz clock, `a=rtpmap:111 opus/48000/2` (RFC 7587
// always says 2; the packets are mono), one 20 ms frame per packet, random SSRC, sequence and timestamp
// starts. Packets leave at real-time pace (at most 60 ms ahead), so Write blocks while ttsd runs ahead.
// A stream starts with one frame of silence (sent at Open): a receiver that drops the first packet while it
// probes the stream (ffmpeg with -fflags nobuffer, OBS's low-delay setting) then loses silence, not speech.
//   auto sink = RtpOpusSink::Create({.host = "127.0.0.1", .port = 5004, .sdp_path = "stream.sdp"}).value();
//   ffmpeg -protocol_whitelist file,udp,rtp -i stream.sdp -ac 1 out.wav
// Thread-safety: one thread at a time; no threads of its own.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ttsd/client/audio-sink.h"
#include "ttsd/codec/ogg-opus-encoder.h"

struct OpusEncoder;

namespace ttsd::client {

class OpusFramer;
class RealTimePacer;

struct RtpOptions {
  static constexpr uint8_t kPayloadType = 111;

  std::string host = "127.0.0.1";  // where packets go: a numeric address or a name
  uint16_t port = 5004;            // even, by RTP custom (port + 1 is RTCP's; none is sent)
  std::string sdp_path;            // the SDP file to write at Create; empty: none
  uint32_t bitrate_bps = codec::OggOpusEncoder::kDefaultBitrateBps;
  bool pace = true;                // keep to real time; off for tests that want packets at once
};

class RtpOpusSink final : public AudioSink {
 public:
  // Resolves host, opens the UDP socket and writes the SDP file (atomically: a reader never sees half of
  // it). Errors: kBadRequest (port 0, a bad bitrate, a host that does not resolve), kIo.
  static Result<std::unique_ptr<RtpOpusSink>> Create(const RtpOptions& options);
  ~RtpOpusSink() override;

  // The SDP for a stream to address:port, address numeric (IPv4 or IPv6). It depends on nothing else, so
  // a file written once stays valid for every later stream to the same place.
  static std::string Sdp(const std::string& address, uint16_t port);

  // Any rate (resampled to 48 kHz), any channel count (averaged); sends the lead-in frame.
  // Errors: kBadRequest, kInternal (libopus), kIo.
  Status Open(const AudioFormat& format) override;
  // Errors: kBadRequest, kIo (the send failed for a reason other than nobody listening).
  Status Write(std::span<const uint8_t> pcm) override;
  // Sends the rest, zero-padded to a whole frame plus the encoder's lookahead, so the tail is heard.
  Status Close() override;
  std::string Describe() const override;

  const std::string& address() const { return address_; }  // the resolved destination, numeric
  uint64_t packets_sent() const { return packets_; }

 private:
  RtpOpusSink() = default;
  Status EncodeAndSend(std::span<const float> frame);

  RtpOptions options_;
  std::string address_;
  int fd_ = -1;
  sockaddr_storage dest_{};
  socklen_t dest_len_ = 0;
  OpusEncoder* encoder_ = nullptr;  // owned
  std::unique_ptr<OpusFramer> framer_;
  std::unique_ptr<RealTimePacer> pacer_;
  std::mt19937 random_{std::random_device{}()};
  uint32_t ssrc_ = 0;
  uint16_t sequence_ = 0;
  uint32_t timestamp_ = 0;
  bool first_packet_ = true;  // carries the marker bit
  bool closed_ = false;
  uint64_t packets_ = 0;
  uint64_t samples_encoded_ = 0;  // 48 kHz samples of real audio handed to the encoder
  std::vector<uint8_t> packet_;
};

}  // namespace ttsd::client
