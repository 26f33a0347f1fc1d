// ttsc: the thin ttsd client. `ttsc say`, `ttsc voices`, `ttsc devices`, `ttsc ping`; `ttsc --help` for the rest.
// Exit codes: 0 ok; 1 the request failed (an error from ttsd, a lost connection, an output that cannot be
// written); 2 usage; 3 cannot connect to ttsd (no socket, no answer, no common protocol version);
// 128+N when signal N (SIGINT: 130) cancelled the request.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "ttsd/chat/backoff.h"
#include "ttsd/client/audio-sink.h"
#include "ttsd/client/connection.h"
#include "ttsd/client/marks-writer.h"
#include "ttsd/client/output-options.h"
#include "ttsd/client/portaudio-sink.h"
#include "ttsd/client/style-options.h"
#include "ttsd/client/synthesis.h"
#include "ttsd/client/text-pump.h"
#include "ttsd/version.h"
#include "ttsc/channel-command.h"
#include "ttsc/cli.h"
#include "ttsc/chat-command.h"
#include "ttsc/phonemes-command.h"
#include "ttsc/voice-command.h"

namespace {

using ttsd::Error;
using ttsd::ErrorCode;
using ttsd::protocol::EmotionAxisList;
using ttsd::protocol::kMaxEmotionAlpha;
using ttsd::protocol::kMaxEmotionWeight;
using ttsd::protocol::kMaxReferences;
using ttsd::protocol::kMaxSpeed;
using ttsd::protocol::kMaxTopK;
using ttsd::protocol::kMinSpeed;
using ttsd::protocol::LimitText;
using namespace ttsd::client;
using namespace ttsd::ttsc;

// Set by the SIGINT/SIGTERM handler; the thread waiting for audio sees it within ReceiveOptions::poll_interval.
std::atomic<bool> g_interrupted{false};
volatile sig_atomic_t g_signal = 0;
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

// The first signal cancels the request politely; a second one ends ttsc at once (the WAV file is valid
// up to its last chunk either way).
extern "C" void OnSignal(int sig) {
  g_signal = sig;
  if (g_interrupted.exchange(true)) _exit(128 + sig);
}

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked call returns EINTR and the flag is looked at
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

struct SayOptions {
  std::vector<std::string> text;
  std::string voice;
  std::string speaker;
  OutputOptions output;  // -o, --rtp, --http, ...
  std::string format = "s16le";
  double speed = 1.0;
  bool from_stdin = false;
  bool stats = false;
  std::string channel;  // speak on this output channel instead of writing audio here
  bool interrupt = false;
  bool no_wait = false;
  std::string author;           // with --channel: who asked (shown in the channel's status and events)
  std::string source = "ttsc";  // with --channel: through what
  // Style: a one-off cloned speaker, emotion, total length.
  std::vector<std::string> refs;
  std::string ref_text;      // what the first --ref says (GPT-SoVITS voices)
  std::string emotion_ref;
  std::string emotion;       // "angry=0.8,sad=0.2"
  std::string emotion_text;
  double emotion_alpha = 1.0;
  std::string duration;      // "8", "8s", "1500ms"
  // Sampling of token voices (GPT-SoVITS).
  uint32_t top_k = 0;
  double top_p = 0, temperature = 0, repetition_penalty = 0;  // 0: the voice's
  std::optional<uint64_t> seed;
  // Where the words are heard, and markup.
  std::string marks_file;      // JSON lines, "-" for stdout
  bool mark_phones = false;
  std::string subtitles_file;  // .srt or .vtt
  bool ssml = false;
  // Each utterance at one loudness: --loudness (the default target) or --loudness-target LUFS.
  bool loudness = false;
  std::optional<double> loudness_target;
};

struct ChannelOptions {  // listen
  std::string channel;
  OutputOptions output;
  std::string format = "s16le";
  std::string events_file;  // listen: the channel's events as JSON lines ("-": standard output)
  bool items = false;       // listen --events: the items' events too (queued, started, ...)
};

// A listen for events only has no audio to put anywhere.
class NoAudio final : public ttsd::client::AudioSink {
 public:
  ttsd::Status Open(const ttsd::client::AudioFormat&) override { return {}; }
  ttsd::Status Write(std::span<const uint8_t>) override { return {}; }
  ttsd::Status Close() override { return {}; }
  std::string Describe() const override { return "no audio"; }
};

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

// The style options of say into request and the reference files they name, read now so that a missing
// file is a usage error before anything is sent. Errors: kBadRequest / kIo with a message for the user.
ttsd::Result<ReferenceFiles> ApplyStyle(const SayOptions& say, ttsd::protocol::SynthesizeRequest* request) {
  ReferenceFiles files;
  if (say.refs.size() > ttsd::protocol::kMaxReferences) {
    return ttsd::MakeError(ErrorCode::kBadRequest,
                           "at most " + std::to_string(ttsd::protocol::kMaxReferences) + " --ref files");
  }
  for (const auto& path : say.refs) {
    auto bytes = ReadReferenceFile(path);
    if (!bytes) return std::unexpected(bytes.error());
    files.speaker.push_back(std::move(*bytes));
  }
  if (!say.emotion_ref.empty()) {
    auto bytes = ReadReferenceFile(say.emotion_ref);
    if (!bytes) return std::unexpected(bytes.error());
    files.emotion = std::move(*bytes);
  }
  if (!say.emotion.empty()) {
    auto weights = ParseEmotionSpec(say.emotion);
    if (!weights) return std::unexpected(weights.error());
    request->emotion = *weights;
  }
  if (say.emotion_text.size() > ttsd::protocol::kMaxEmotionTextBytes) {
    return ttsd::MakeError(ErrorCode::kBadRequest, "--emotion-text is longer than " +
                                                       std::to_string(ttsd::protocol::kMaxEmotionTextBytes) + " bytes");
  }
  request->emotion_text = say.emotion_text;
  request->emotion_alpha = say.emotion_alpha;
  if (!say.ref_text.empty() && say.refs.empty()) {
    return ttsd::MakeError(ErrorCode::kBadRequest, "--ref-text says what the first --ref recording says; give --ref");
  }
  if (auto s = ttsd::protocol::CheckReferenceText(say.ref_text, static_cast<uint32_t>(say.refs.size())); !s) {
    return std::unexpected(s.error());
  }
  request->reference_text = say.ref_text;
  request->top_k = say.top_k;
  request->top_p = say.top_p;
  request->temperature = say.temperature;
  request->repetition_penalty = say.repetition_penalty;
  request->seed = say.seed;
  if (!say.duration.empty()) {
    if (say.from_stdin) return ttsd::MakeError(ErrorCode::kBadRequest, "--duration needs the whole text at once; drop --stdin");
    auto seconds = ParseDurationSpec(say.duration);
    if (!seconds) return std::unexpected(seconds.error());
    request->duration_s = *seconds;
  }
  return files;
}

// say --channel: the audio goes to the channel's listeners; we wait for kDone (or only kAccepted).
int RunSayOnChannel(const SayOptions& say, const GlobalOptions& global) {
  ttsd::protocol::SynthesizeRequest request;
  request.voice = say.voice;
  request.speaker = say.speaker;
  request.text = Join(say.text);
  request.final = !say.from_stdin;
  request.speed = say.speed;
  request.channel = say.channel;
  request.interrupt = say.interrupt;
  request.author = say.author;
  request.source = say.source;
  auto refs = ApplyStyle(say, &request);
  if (!refs) return Usage("say: " + refs.error().message);
  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  InstallSignalHandlers();
  const auto start = std::chrono::steady_clock::now();
  double accepted_ms = 0;
  uint64_t item = 0;
  uint32_t listeners = 0;
  auto started = Synthesis::Start(conn->get(), request, *refs);
  if (!started) return Report(started.error(), kExitFailed);
  const std::optional<uint32_t> id = started->request_id();
  // --stats: what a requester of a channel can know (its audio goes to the listeners, not here).
  auto print_stats = [&](const char* status, std::optional<double> audio_s) {
    nlohmann::json j = {{"request_id", *id},
                        {"channel", say.channel},
                        {"item", item},
                        {"listeners", listeners},
                        {"accepted_ms", std::round(accepted_ms * 10) / 10}};
    if (audio_s) j["audio_s"] = *audio_s;
    j["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    j["status"] = status;
    std::cerr << j.dump() << std::endl;
  };
  std::unique_ptr<TextPump> pump;
  if (say.from_stdin) pump = std::make_unique<TextPump>(conn->get(), *id, STDIN_FILENO);
  bool cancel_sent = false;
  std::optional<std::chrono::steady_clock::time_point> cancel_deadline;
  for (;;) {
    if (g_interrupted && !cancel_sent) {
      cancel_sent = true;
      (void)(*conn)->Cancel(*id);
      cancel_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    }
    if (cancel_deadline && std::chrono::steady_clock::now() > *cancel_deadline) break;
    auto frame = (*conn)->ReadFrame(std::chrono::milliseconds(50));
    if (!frame) {
      if (frame.error().code == ErrorCode::kTimeout) continue;
      if (pump) pump->Stop();
      return Report(frame.error(), kExitFailed);
    }
    const auto& h = frame->header;
    if (h.request_id != *id && h.request_id != 0) continue;
    if (h.type == ttsd::protocol::FrameType::kAccepted) {
      accepted_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      // Nobody hears a channel without listeners (a mistyped name, a listener that is down): say so.
      auto accepted = ttsd::protocol::ParseAccepted(frame->payload);
      if (accepted) {
        item = accepted->item;
        listeners = accepted->listeners;
      }
      if (accepted && accepted->item != 0 && accepted->listeners == 0) {
        std::cerr << "ttsc: warning: channel '" << say.channel << "' has no listeners: item #" << accepted->item
                  << " is queued but nothing is heard until one attaches (is the name right?)\n";
      }
      if (say.no_wait && !pump) {
        if (say.stats) print_stats("queued", std::nullopt);
        return kExitOk;
      }
    }
    if (h.type == ttsd::protocol::FrameType::kDone) {
      if (pump) pump->Stop();
      if (say.stats) {
        auto done = ttsd::protocol::ParseDone(frame->payload);
        print_stats("ok", done ? done->audio_s : 0.0);
      }
      return kExitOk;
    }
    if (h.type == ttsd::protocol::FrameType::kError) {
      if (pump) pump->Stop();
      if (g_interrupted) return 128 + g_signal;
      return Report(ErrorFromFrame(*frame), kExitFailed);
    }
  }
  if (pump) pump->Stop();
  return 128 + g_signal;
}

// Whether a listen ended because ttsd went away (to come back), not because it was refused.
bool IsListenLost(const ttsd::Error& e) {
  return e.code == ttsd::ErrorCode::kShuttingDown || e.code == ttsd::ErrorCode::kIo ||
         e.code == ttsd::ErrorCode::kTimeout;
}

int RunListen(const ChannelOptions& opts, const GlobalOptions& global) {
  OutputOptions output = opts.output;
  const bool audio = output.any() || opts.events_file.empty();
  if (!output.any()) output.play = true;  // no -o, --rtp or --http: play it (unless only --events)
  auto spec = ToOutputSpec(output);
  if (!spec) return Usage("listen: " + spec.error().message);
  if ((spec->kind == OutputSpec::Kind::kRawStdout || spec->kind == OutputSpec::Kind::kOggStdout ||
       spec->kind == OutputSpec::Kind::kEncodedStdout) &&
      isatty(STDOUT_FILENO)) {
    return Usage("listen: -o -, ogg:-, mp3:-, flac:- and aac:- write audio (48 kHz mono), not for a terminal; "
                 "pipe it");
  }
  spec->cancel = &g_interrupted;
  auto conn = Connect(global);  // the first connection fails at once: a wrong --socket is a mistake
  if (!conn) return Report(conn.error(), kExitNoConnection);
  InstallSignalHandlers();
  if (opts.events_file == "-" && audio &&
      (spec->kind == OutputSpec::Kind::kRawStdout || spec->kind == OutputSpec::Kind::kOggStdout ||
       spec->kind == OutputSpec::Kind::kEncodedStdout)) {
    return Usage("listen: --events - and audio to standard output would mix; write one of them to a file");
  }
  std::unique_ptr<ttsd::client::AudioSink> sink;
  if (audio) {
    auto made = MakeAudioSink(*spec);
    if (!made) return Report(made.error(), kExitFailed);
    sink = std::move(*made);
  } else {
    sink = std::make_unique<NoAudio>();
  }
  std::FILE* events = nullptr;
  if (!opts.events_file.empty()) {
    events = opts.events_file == "-" ? stdout : std::fopen(opts.events_file.c_str(), "w");
    if (events == nullptr) {
      return Report({ttsd::ErrorCode::kIo, "cannot write " + opts.events_file + ": " + std::strerror(errno)}, kExitFailed);
    }
  }
  ttsd::protocol::ListenRequest request;
  request.channel = opts.channel;
  request.sample_format = ttsd::protocol::ParseSampleFormat(opts.format).value();
  request.audio = audio;
  request.events = events != nullptr;
  request.items = events != nullptr && opts.items;
  ReceiveOptions options;
  if (events != nullptr) {  // one JSON line per event, flushed: a caption or lip-sync tool follows it live
    options.on_channel_event = [events](std::span<const uint8_t> json) -> ttsd::Status {
      std::fwrite(json.data(), 1, json.size(), events);
      std::fputc('\n', events);
      if (std::fflush(events) != 0) return ttsd::MakeError(ttsd::ErrorCode::kIo, "cannot write the events");
      return {};
    };
  }
  options.cancel = &g_interrupted;
  if (global.timeout_s > 0) options.idle_timeout = global.timeout();  // frames come every 20 ms
  // A listen never ends by itself. When ttsd goes away (restarted, upgraded: `shutting_down`, or the
  // connection lost) the sink stays open (OBS stays connected to it) and the listen comes back, with
  // backoff, on a new connection; only a refusal of the listen itself ends it.
  ttsd::chat::Backoff backoff(std::chrono::milliseconds(250), std::chrono::seconds(5));
  ttsd::Status status;
  for (;;) {
    auto listen = Synthesis::Listen(conn->get(), request);
    if (!listen) {
      status = std::unexpected(listen.error());
    } else {
      backoff.Reset();
      status = listen->Receive(sink.get(), options);
    }
    if (g_interrupted || status || !IsListenLost(status.error())) break;
    std::cerr << "ttsc: listen: " << status.error().message << "; reconnecting to ttsd\n";
    for (;;) {
      const auto wait = backoff.Next();
      for (auto slept = std::chrono::milliseconds(0); slept < wait && !g_interrupted; slept += std::chrono::milliseconds(50)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (g_interrupted) break;
      conn = Connect(global);
      if (conn) break;
    }
    if (g_interrupted) break;
    std::cerr << "ttsc: listen: reconnected; listening to channel '" << opts.channel << "' again\n";
  }
  if (events != nullptr && events != stdout) std::fclose(events);
  if (g_interrupted) return 128 + g_signal;
  if (!status) return Report(status.error(), kExitFailed);
  return kExitOk;
}

int RunSay(const SayOptions& say, const GlobalOptions& global) {
  if (say.text.empty() && !say.from_stdin) return Usage("say: nothing to say; give TEXT or --stdin");
  if (!say.channel.empty()) {
    if (say.output.any()) return Usage("say: --channel sends the audio to the channel's listeners; drop -o");
    if (!say.marks_file.empty() || !say.subtitles_file.empty()) {
      return Usage("say: --marks and --subtitles need the audio here; a channel's words are on its event stream");
    }
    if (say.loudness || say.loudness_target) {
      return Usage("say: a channel plays every utterance at its own loudness (ttsd's channel-loudness); drop --loudness");
    }
    return RunSayOnChannel(say, global);
  }
  OutputOptions output = say.output;
  if (!output.any()) output.play = true;  // no -o, --rtp or --http: play it
  auto spec = ToOutputSpec(output);
  if (!spec) return Usage("say: " + spec.error().message);
  if (spec->kind == OutputSpec::Kind::kOggStdout && isatty(STDOUT_FILENO)) {
    return Usage("say: -o ogg:- writes Ogg Opus, not for a terminal; pipe it (| ffplay -f ogg -) or use -o FILE.opus");
  }
  if (spec->kind == OutputSpec::Kind::kEncodedStdout && isatty(STDOUT_FILENO)) {
    const std::string ext = spec->encoded_format == EncodedFormat::kMp3    ? "mp3"
                            : spec->encoded_format == EncodedFormat::kFlac ? "flac"
                                                                           : "aac";
    return Usage("say: -o " + ext + ":- writes " + ext +
                 " audio, not for a terminal; pipe it (| ffplay -) or use -o FILE." + ext);
  }
  spec->cancel = &g_interrupted;  // Ctrl-C stops --http-wait
  if (spec->kind == OutputSpec::Kind::kRawStdout && isatty(STDOUT_FILENO)) {
    return Usage("say: -o - writes raw PCM, not for a terminal; pipe it (| aplay -f S16_LE -r RATE) or use -o FILE.wav");
  }
  ttsd::protocol::SynthesizeRequest request;
  request.voice = say.voice;
  request.speaker = say.speaker;
  request.text = Join(say.text);
  request.final = !say.from_stdin;
  request.sample_format = ttsd::protocol::ParseSampleFormat(say.format).value();
  request.speed = say.speed;
  auto refs = ApplyStyle(say, &request);
  if (!refs) return Usage("say: " + refs.error().message);
  request.ssml = say.ssml;
  if (say.loudness_target) {
    request.loudness_lufs = *say.loudness_target;
  } else if (say.loudness) {
    request.loudness_lufs = ttsd::protocol::kDefaultLoudnessLufs;
  }
  std::unique_ptr<MarksJsonWriter> marks;
  std::unique_ptr<SubtitleWriter> subtitles;
  if (!say.marks_file.empty()) {
    if (say.marks_file == "-" && (spec->kind == OutputSpec::Kind::kRawStdout || spec->kind == OutputSpec::Kind::kOggStdout ||
                                  spec->kind == OutputSpec::Kind::kEncodedStdout)) {
      return Usage("say: --marks - and -o to standard output would mix; write one of them to a file");
    }
    auto m = MarksJsonWriter::Create(say.marks_file);
    if (!m) return Report(m.error(), kExitFailed);
    marks = std::move(*m);
  }
  if (!say.subtitles_file.empty()) {
    auto sub = SubtitleWriter::Create(say.subtitles_file);
    if (!sub) return sub.error().code == ttsd::ErrorCode::kBadRequest ? Usage("say: " + sub.error().message)
                                                                       : Report(sub.error(), kExitFailed);
    subtitles = std::move(*sub);
  }
  if (marks || subtitles) request.marks = say.mark_phones ? ttsd::protocol::MarkLevel::kPhones : ttsd::protocol::MarkLevel::kWords;

  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  // From here on Ctrl-C cancels the request instead of killing ttsc (before, it just ends ttsc).
  InstallSignalHandlers();
  auto sink = MakeAudioSink(*spec);
  if (g_interrupted) return 128 + g_signal;
  if (!sink) return Report(sink.error(), kExitFailed);

  auto synthesis = Synthesis::Start(conn->get(), request, *refs);
  if (!synthesis) return Report(synthesis.error(), kExitFailed);

  std::unique_ptr<TextPump> pump;
  ReceiveOptions options;
  options.cancel = &g_interrupted;
  if (global.timeout_s > 0) options.idle_timeout = global.timeout();
  if (say.from_stdin) {
    pump = std::make_unique<TextPump>(conn->get(), synthesis->request_id(), STDIN_FILENO);
    options.text_open = &pump->text_open();
  }
  if (marks || subtitles) {
    options.on_marks = [&](const ttsd::protocol::Marks& m, uint32_t rate) -> ttsd::Status {
      if (marks) {
        if (auto s = marks->Write(m, rate); !s) return s;
      }
      return subtitles ? subtitles->Add(m, rate) : ttsd::Status{};
    };
  }
  ttsd::Status status = synthesis->Receive(sink->get(), options);
  if (pump) pump->Stop();
  // What was heard up to a cancel or failure is still worth its subtitles.
  for (ttsd::Status closed : {marks ? marks->Close() : ttsd::Status{}, subtitles ? subtitles->Close() : ttsd::Status{}}) {
    if (status && !closed) status = closed;
  }

  if (say.stats) {
    RequestStats stats = synthesis->stats();
    if (const auto* player = dynamic_cast<const PortAudioSink*>(sink->get())) {
      stats.underruns = player->underruns();
      stats.played_s = static_cast<double>(player->played_samples()) / std::max<uint32_t>(stats.sample_rate_hz, 1);
      stats.device_underflows = player->device_underflows();
      stats.prefill_ms = static_cast<double>(player->prefill().count());
    }
    std::cerr << stats.ToJsonLine() << std::endl;
  }
  if (g_interrupted) return 128 + g_signal;
  if (pump && !pump->status()) return Report(pump->status().error(), kExitFailed);
  if (!status) return Report(status.error(), kExitFailed);
  return kExitOk;
}

int RunVoices(bool json, const GlobalOptions& global) {
  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  auto list = (*conn)->ListVoices(global.timeout_s > 0 ? global.timeout() : std::chrono::hours(24));
  if (!list) return Report(list.error(), kExitFailed);
  if (json) {
    auto bytes = ttsd::protocol::Serialize(*list);
    std::cout << nlohmann::json::parse(bytes.begin(), bytes.end()).dump(2) << '\n';
    return kExitOk;
  }
  if (list->voices.empty()) {
    std::cout << "ttsd has no voices loaded\n";
    return kExitOk;
  }
  for (const auto& v : list->voices) {
    std::cout << (v.name == list->default_voice ? "* " : "  ") << v.name << "  " << v.sample_rate << " Hz";
    if (!v.languages.empty()) std::cout << "  " << Join(v.languages);
    if (!v.description.empty()) std::cout << "  — " << v.description;
    std::cout << '\n';
    if (!v.speakers.empty()) {
      std::cout << "    speakers: ";
      for (size_t i = 0; i < v.speakers.size(); ++i) {
        std::cout << (i ? ", " : "") << v.speakers[i] << (i == 0 ? " (default)" : "");
      }
      std::cout << '\n';
    }
  }
  for (const auto& v : list->saved) {
    std::cout << "  " << v.name << "  saved voice, spoken by " << v.voice << " (ttsc voice ls)\n";
  }
  std::cout << "(* default voice)\n";
  return kExitOk;
}

// ttsc devices: PortAudio's output devices; needs no ttsd.
int RunDevices() {
  auto devices = ListOutputDevices();
  if (!devices) return Report(devices.error(), kExitFailed);
  if (devices->empty()) {
    std::cerr << "ttsc: no audio output devices. With PulseAudio or PipeWire, the sound server must be running "
                 "and reachable (pactl info; ALSA's pulse device comes with libasound2-plugins); without one, "
                 "check the sound card (aplay -l).\n";
    return kExitFailed;
  }
  bool pulse = false;
  for (const auto& d : *devices) {
    std::printf("%s %3d  %-40s  %-6s  %6.0f Hz  %d ch\n", d.is_default ? "*" : " ", d.index, d.name.c_str(),
                d.host_api.c_str(), d.default_sample_rate_hz, d.max_output_channels);
    pulse = pulse || (d.host_api == "ALSA" && d.name == "pulse");
  }
  std::printf("(* default output; --device NAME picks the first whose name contains NAME)\n");
  if (pulse) {
    std::printf("PulseAudio/PipeWire sinks can be named too: --device SINK (pactl list short sinks); "
                "without --device, --play uses the default sink.\n");
  }
  return kExitOk;
}

int RunPing(const GlobalOptions& global) {
  auto conn = Connect(global);
  if (!conn) return Report(conn.error(), kExitNoConnection);
  auto rtt = (*conn)->Ping(global.timeout_s > 0 ? global.timeout() : std::chrono::hours(24));
  if (!rtt) return Report(rtt.error(), kExitFailed);
  const auto& w = (*conn)->welcome();
  std::printf("pong from %s (protocol %u) at %s in %.3f ms\n", w.server.empty() ? "ttsd" : w.server.c_str(),
              w.version, (*conn)->path().c_str(), std::chrono::duration<double, std::milli>(*rtt).count());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Writing raw PCM into a closed pipe is an error to report (kIo), not a reason to die silently.
  signal(SIGPIPE, SIG_IGN);

  CLI::App app{"ttsc — client for the ttsd streaming text-to-speech daemon.\n"
               "Exit codes: 0 ok, 1 request failed, 2 usage, 3 cannot connect, 130 interrupted."};
  app.set_version_flag("--version", "ttsc " TTSD_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand

  GlobalOptions global;
  app.add_option("--socket", global.socket,
                 "ttsd's socket (default: $TTSD_SOCKET, else $XDG_RUNTIME_DIR/ttsd/ttsd.sock)");
  app.add_option("--timeout", global.timeout_s,
                 "seconds to wait for ttsd to answer; for say, the longest silence between audio chunks "
                 "while no --stdin text is pending (0: wait for ever)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  SayOptions say;
  CLI::App* say_cmd = app.add_subcommand(
      "say", "Synthesize TEXT and play it (or write it: -o, --rtp, --http) as it arrives. Ctrl-C cancels the "
             "request (exit 130).");
  say_cmd->add_option("text", say.text, "the text (several words are joined by spaces)");
  AddOutputOptions(say_cmd, &say.output);
  say_cmd->add_option("--voice", say.voice, "voice name (default: ttsd's default voice; see 'ttsc voices')");
  say_cmd->add_option("--speaker", say.speaker, "speaker of the voice (default: its first)");
  say_cmd->add_option("--format", say.format, "sample format")
      ->capture_default_str()
      ->check(CLI::IsMember({"s16le", "f32le"}));
  say_cmd->add_option("--speed", say.speed, "speaking rate, " + LimitText(kMinSpeed) + ".." + LimitText(kMaxSpeed))
      ->capture_default_str()
      ->check(CLI::Range(kMinSpeed, kMaxSpeed));
  say_cmd->add_flag("--stdin", say.from_stdin,
                    "also read text from standard input as it arrives (after TEXT, if given), into the same "
                    "request: llm | ttsc say --stdin -o -");
  say_cmd->add_option("--marks", say.marks_file,
                      "write where each sentence and word is heard as JSON lines to FILE ('-': standard output): "
                      "kind, text, text_begin/text_end (bytes of the text), start/end (seconds), start_sample/end_sample");
  say_cmd->add_flag("--phones", say.mark_phones, "with --marks: each phone too");
  say_cmd->add_option("--subtitles", say.subtitles_file,
                      "write subtitles timed to the audio to FILE.srt or FILE.vtt (WebVTT with each word's time)");
  say_cmd->add_flag("--ssml", say.ssml,
                    "the text is SSML (also assumed when it starts with <speak>); inline [pause:500ms] tags work "
                    "without it");
  say_cmd->add_flag("--loudness", say.loudness,
                    "bring each utterance to " + LimitText(ttsd::protocol::kDefaultLoudnessLufs) +
                        " LUFS (EBU R128, true peak under -1 dBTP), so voices and speakers sound equally loud; "
                        "ttsd holds the last 10 ms of each chunk back for the next (a channel has its own loudness: "
                        "channel-loudness)");
  say_cmd->add_option("--loudness-target", say.loudness_target,
                      "like --loudness, to this target in LUFS (" + LimitText(ttsd::protocol::kMinLoudnessLufs) +
                          ".." + LimitText(ttsd::protocol::kMaxLoudnessLufs) + ")")
      ->check(CLI::Range(ttsd::protocol::kMinLoudnessLufs, ttsd::protocol::kMaxLoudnessLufs));
  say_cmd->add_flag("--stats", say.stats,
                    "print one JSON line to stderr at the end: ttfa_ms, audio_s, wall_s, chunks, ... (playing: "
                    "underruns, played_s, prefill_ms). With --channel the audio goes to the channel's listeners, "
                    "not here, so there is no ttfa_ms or chunks; instead: request_id, channel, item, listeners (when "
                    "queued), accepted_ms, audio_s (played on the channel), wall_s (until it was played out), status "
                    "\"ok\" (with --no-wait: printed once queued, without audio_s, status \"queued\")");

  say_cmd->add_option("--channel", say.channel,
                      "speak on this output channel (its listeners hear it, queued after what is already "
                      "there); waits until it has been played");
  say_cmd->add_flag("--interrupt", say.interrupt, "with --channel: cut what the channel is playing and go first");
  say_cmd->add_flag("--no-wait", say.no_wait, "with --channel: return once queued");
  say_cmd->add_option("--author", say.author,
                      "with --channel: who asked, shown with the item in the channel's status and events (at most " +
                          std::to_string(ttsd::protocol::kMaxAuthorBytes) + " bytes)");
  say_cmd->add_option("--source", say.source,
                      "with --channel: through what it came (at most " +
                          std::to_string(ttsd::protocol::kMaxSourceBytes) + " bytes)")
      ->capture_default_str();
  say_cmd->add_option("--ref", say.refs,
                      "clone the speaker from this recording, for this request only (repeatable, up to " +
                          std::to_string(kMaxReferences) + "; 3 s or more in all, 1-15 s each; WAV, FLAC, Ogg...)")
      ->allow_extra_args(false);
  say_cmd->add_option("--ref-text", say.ref_text,
                      "what the first --ref recording says: GPT-SoVITS voices need it (their first reference "
                      "lasts 3-10 s; the others only add timbre)");
  say_cmd->add_option("--top-k", say.top_k,
                      "GPT-SoVITS voices: sample each token from the k likeliest (1: greedy; default: the voice's)")
      ->check(CLI::Range(1u, kMaxTopK));
  say_cmd->add_option("--top-p", say.top_p,
                      "GPT-SoVITS voices: sample from the likeliest tokens whose probabilities add up to this (0-1; "
                      "1: all; default: the voice's)")
      ->check(CLI::Range(0.0, 1.0));
  say_cmd->add_option("--temperature", say.temperature,
                      "GPT-SoVITS voices: below 1 steadier, above 1 livelier (" +
                          LimitText(ttsd::protocol::kMinTemperature) + "-" +
                          LimitText(ttsd::protocol::kMaxTemperature) + "; default: the voice's)")
      ->check(CLI::Range(ttsd::protocol::kMinTemperature, ttsd::protocol::kMaxTemperature));
  say_cmd->add_option("--repetition-penalty", say.repetition_penalty,
                      "GPT-SoVITS voices: how strongly tokens already used are avoided (1: not at all, up to " +
                          LimitText(ttsd::protocol::kMaxRepetitionPenalty) + "; default: the voice's)")
      ->check(CLI::Range(1.0, ttsd::protocol::kMaxRepetitionPenalty));
  say_cmd->add_option("--seed", say.seed,
                      "GPT-SoVITS voices: the request's random seed; the same seed, text and voice give the same "
                      "audio")
      ->check(CLI::NonNegativeNumber);
  say_cmd->add_option("--emotion-ref", say.emotion_ref, "take the emotion from this recording");
  say_cmd->add_option("--emotion", say.emotion,
                      "emotion weights 0.." + LimitText(kMaxEmotionWeight) + ": " + EmotionAxisList() +
                          " (e.g. angry=0.8,sad=0.2)");
  say_cmd->add_option("--emotion-text", say.emotion_text, "the emotion described in words (\"angrily, voice trembling\")");
  say_cmd->add_option("--emotion-alpha", say.emotion_alpha,
                      "how strongly the emotion applies, 0.." + LimitText(kMaxEmotionAlpha))
      ->capture_default_str()
      ->check(CLI::Range(0.0, kMaxEmotionAlpha));
  say_cmd->add_option("--duration", say.duration, "make the whole utterance last this long: 8, 8s, 1500ms");

  ChannelOptions channel_opts;
  CLI::App* listen_cmd = app.add_subcommand(
      "listen", "Receive everything spoken on an output channel as one continuous 48 kHz stream (silence "
                "in between), until Ctrl-C. When ttsd stops or restarts, the output stays open and the listen "
                "comes back on its own (reconnecting with backoff, said on stderr).");
  listen_cmd->add_option("--channel", channel_opts.channel, "the channel")->required();
  listen_cmd->add_option("--events", channel_opts.events_file,
                         "write the channel's events as JSON lines to FILE ('-': standard output) as they are "
                         "played: utterance_start, sentence, word (text, start_s, end_s), utterance_end; "
                         "with --items also each item queued, started, finished, removed, refused; "
                         "without -o, --play, --rtp or --http: events only, no audio");
  listen_cmd->add_flag("--items", channel_opts.items,
                       "with --events: also each item's queued, started, finished, removed and refused (id, author, "
                       "source, text, reason) and the channel's paused and resumed");
  AddOutputOptions(listen_cmd, &channel_opts.output);
  listen_cmd->add_option("--format", channel_opts.format, "sample format")
      ->capture_default_str()
      ->check(CLI::IsMember({"s16le", "f32le"}));
  ChannelCommand channel_cmd;
  AddChannelCommands(&app, &channel_cmd);

  bool voices_json = false;
  CLI::App* voices_cmd = app.add_subcommand("voices", "List ttsd's voices and their speakers.");
  voices_cmd->add_flag("--json", voices_json, "print the list as JSON");

  VoiceCommand voice;
  AddVoiceCommand(&app, &voice);

  ChatCommand chat;
  AddChatCommand(&app, &chat);

  PhonemesCommand phonemes;
  AddPhonemesCommand(&app, &phonemes);

  CLI::App* ping_cmd = app.add_subcommand("ping", "Check that ttsd answers and print the round-trip time.");
  CLI::App* devices_cmd = app.add_subcommand("devices", "List the audio output devices --play can use.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (*say_cmd) return RunSay(say, global);
  if (*voices_cmd) return RunVoices(voices_json, global);
  if (*voice.cmd) return RunVoiceCommand(voice, global);
  if (*chat.cmd) return RunChatCommand(chat, global);
  if (*phonemes.cmd) return RunPhonemesCommand(phonemes);
  if (*listen_cmd) return RunListen(channel_opts, global);
  if (channel_cmd.chosen()) return RunChannelCommand(channel_cmd, global);
  if (*ping_cmd) return RunPing(global);
  if (*devices_cmd) return RunDevices();
  return kExitUsage;
}
