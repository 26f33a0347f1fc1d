// An AudioSink that serves the audio live as Ogg Opus (48 kHz mono, 20 ms frames, ~32 kb/s) over HTTP on
// loopback, to any number of clients at once: http://127.0.0.1:8090/ (also /stream.ogg). Each client gets
// the Ogg header pages, then every page from the moment it connected; ffmpeg and OBS read it with input
// format `ogg`. Pages leave at real-time pace (at most 60 ms ahead), so Write blocks while ttsd runs ahead.
// The audio starts with one frame of silence (written at Open): a client that drops the first page while it
// probes the stream (ffmpeg with -fflags nobuffer, OBS's low-delay setting) then loses silence, not speech.
//   auto sink = HttpOggSink::Create({.host = "127.0.0.1", .port = 8090}).value();
//   sink->WaitForClients(1, 0ms, &interrupted);   // optional: hold the audio until someone listens
//   ffmpeg -f ogg -i http://127.0.0.1:8090/stream.ogg out.wav
// Thread-safety: the AudioSink methods and WaitForClients run on one thread at a time (the request's);
// the HttpStreamServer's thread does the network I/O (see http-stream-server.h).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "ttsd/client/audio-sink.h"
#include "ttsd/client/http-stream-server.h"
#include "ttsd/codec/ogg-opus-encoder.h"

namespace ttsd::client {

class OpusFramer;
class RealTimePacer;

class HttpOggSink final : public AudioSink {
 public:
  // Starts the server now (a busy port or a refused address fails before any request) and makes the Ogg
  // headers, so clients may connect at once. Errors: HttpStreamServer::Start's, OggOpusEncoder::Create's.
  static Result<std::unique_ptr<HttpOggSink>> Create(const HttpStreamOptions& options,
                                                     uint32_t bitrate_bps = codec::OggOpusEncoder::kDefaultBitrateBps,
                                                     bool pace = true);
  ~HttpOggSink() override;

  // See HttpStreamServer::WaitForClients.
  Status WaitForClients(size_t count, std::chrono::milliseconds timeout, const std::atomic<bool>* cancel) {
    return server_->WaitForClients(count, timeout, cancel);
  }

  // Any rate (resampled to 48 kHz), any channel count (averaged); writes the lead-in frame.
  // Errors: kBadRequest, kInternal.
  Status Open(const AudioFormat& format) override;
  // Errors: kBadRequest, kInternal (libopusenc).
  Status Write(std::span<const uint8_t> pcm) override;
  // Ends the Ogg stream and every response, gives clients up to 2 s to receive the rest, stops the server.
  Status Close() override;
  std::string Describe() const override { return "Ogg Opus over HTTP at " + server_->url(); }

  const HttpStreamServer& server() const { return *server_; }

 private:
  HttpOggSink() = default;
  Status WriteFrame(std::span<const float> frame);

  std::unique_ptr<HttpStreamServer> server_;
  std::unique_ptr<codec::OggOpusEncoder> encoder_;
  std::unique_ptr<OpusFramer> framer_;  // set by Open
  std::unique_ptr<RealTimePacer> pacer_;
  bool pace_ = true;
  bool closed_ = false;
};

}  // namespace ttsd::client
