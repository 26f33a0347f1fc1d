// A request's marks (protocol kMarks) written as they arrive: JSON lines (ttsc say --marks FILE), and
// subtitles (--subtitles FILE.srt or FILE.vtt) whose cues are cut from the sentence and word marks.
//   auto subs = SubtitleWriter::Create("out.vtt").value();
//   options.on_marks = [&](const Marks& m, uint32_t rate) { return subs->Add(m, rate); };
//   ... subs->Close();
// Thread-safety: one thread at a time (Synthesis::Receive's).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ttsd/protocol/error.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::client {

// One JSON object per mark and line: {"kind":"word","text":"Hello","text_begin":0,"text_end":5,
// "start":0.0125,"end":0.3875,"start_sample":200,"end_sample":6200} (seconds and samples of the
// request's audio, bytes of its text). Flushed after every frame, so a reader can follow it live.
class MarksJsonWriter {
 public:
  // Creates or truncates path ("-": standard output). Errors: kIo.
  static Result<std::unique_ptr<MarksJsonWriter>> Create(const std::string& path);
  ~MarksJsonWriter();
  Status Write(const protocol::Marks& marks, uint32_t sample_rate);
  Status Close();

 private:
  MarksJsonWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;  // owned unless stdout
  std::string path_;
};

// A subtitle cue: text shown from start to end (seconds), and for WebVTT the time each word after the
// first begins (karaoke-style inline timestamps).
struct Cue {
  double start = 0, end = 0;
  std::vector<std::string> pieces;    // the words with the text after them up to the next word
  std::vector<double> piece_starts;   // seconds, one per piece
};

class SubtitleWriter {
 public:
  enum class Format { kSrt, kVtt };
  // Limits of one cue: two lines of this many characters, and this many seconds.
  static constexpr size_t kLineChars = 42;
  static constexpr double kMaxCueS = 7.0;

  // The format follows the extension (.srt or .vtt). Creates or truncates path now. Errors:
  // kBadRequest (another extension), kIo.
  static Result<std::unique_ptr<SubtitleWriter>> Create(const std::string& path);
  ~SubtitleWriter();
  Status Add(const protocol::Marks& marks, uint32_t sample_rate);
  // Writes the cues (the file is complete only after Close). Errors: kIo.
  Status Close();

  // The cues of a request's marks, and the file text for them (for tests and other writers).
  static std::vector<Cue> MakeCues(const std::vector<protocol::MarkInfo>& marks, uint32_t sample_rate);
  static std::string Render(const std::vector<Cue>& cues, Format format);

 private:
  SubtitleWriter(std::FILE* file, std::string path, Format format) : file_(file), path_(std::move(path)), format_(format) {}
  std::FILE* file_;  // owned
  std::string path_;
  Format format_;
  std::vector<protocol::MarkInfo> marks_;  // sentences and words so far
  uint32_t sample_rate_ = 0;
};

}  // namespace ttsd::client
