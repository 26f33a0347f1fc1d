#include "ttsd/client/marks-writer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

namespace ttsd::client {
namespace {

using protocol::MarkInfo;

Status IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIo, "cannot " + what + " " + path + ": " + std::strerror(errno));
}

std::FILE* OpenForWriting(const std::string& path) {
  return path == "-" ? stdout : std::fopen(path.c_str(), "w");
}

std::string Timestamp(double seconds, char decimal) {
  const auto ms = static_cast<int64_t>(std::llround(std::max(0.0, seconds) * 1000.0));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", static_cast<long long>(ms / 3600000),
                static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60), decimal,
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  return s;
}

// A sentence's words as pieces of its text: each word with what follows it up to the next word.
struct Piece {
  std::string text;
  double start, end;
};

std::vector<Piece> Pieces(const MarkInfo* sentence, const std::vector<const MarkInfo*>& words, double rate) {
  std::vector<Piece> out;
  // The sentence's text is the request's own bytes when its length matches its span (no markup).
  const bool sliceable = sentence != nullptr && sentence->text.size() == sentence->text_end - sentence->text_begin;
  for (size_t i = 0; i < words.size(); ++i) {
    const MarkInfo& w = *words[i];
    std::string text = w.text;
    if (sliceable && w.text_begin >= sentence->text_begin && w.text_end <= sentence->text_end) {
      const uint64_t to = i + 1 < words.size() && words[i + 1]->text_begin <= sentence->text_end
                              ? words[i + 1]->text_begin
                              : sentence->text_end;
      text = sentence->text.substr(w.text_begin - sentence->text_begin, std::max(to, w.text_end) - w.text_begin);
      for (char& c : text) c = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    } else {
      text += ' ';
    }
    out.push_back({text, static_cast<double>(w.start) / rate, static_cast<double>(w.end) / rate});
  }
  return out;
}

size_t Chars(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Cuts one sentence's pieces into cues of at most two lines and kMaxCueS seconds.
void AddCues(const std::vector<Piece>& pieces, std::vector<Cue>* cues) {
  Cue cue;
  size_t chars = 0;
  auto flush = [&] {
    if (cue.pieces.empty()) return;
    cue.pieces.back() = TrimRight(cue.pieces.back());
    cues->push_back(std::move(cue));
    cue = Cue{};
    chars = 0;
  };
  for (const Piece& p : pieces) {
    const size_t n = Chars(TrimRight(p.text));
    if (!cue.pieces.empty() &&
        (chars + n > 2 * SubtitleWriter::kLineChars || p.end - cue.start > SubtitleWriter::kMaxCueS)) {
      flush();
    }
    if (cue.pieces.empty()) cue.start = p.start;
    cue.pieces.push_back(p.text);
    cue.piece_starts.push_back(p.start);
    cue.end = p.end;
    chars += Chars(p.text);
  }
  flush();
}

}  // namespace

Result<std::unique_ptr<MarksJsonWriter>> MarksJsonWriter::Create(const std::string& path) {
  std::FILE* f = OpenForWriting(path);
  if (f == nullptr) return std::unexpected(IoError("write", path).error());
  return std::unique_ptr<MarksJsonWriter>(new MarksJsonWriter(f, path));
}

MarksJsonWriter::~MarksJsonWriter() { Close(); }

Status MarksJsonWriter::Write(const protocol::Marks& marks, uint32_t sample_rate) {
  if (file_ == nullptr) return MakeError(ErrorCode::kIo, path_ + " is closed");
  const double rate = std::max<uint32_t>(sample_rate, 1);
  for (const MarkInfo& m : marks.marks) {
    const nlohmann::ordered_json j = {{"kind", protocol::MarkKindName(m.kind)},
                                      {"text", m.text},
                                      {"text_begin", m.text_begin},
                                      {"text_end", m.text_end},
                                      {"start", std::round(static_cast<double>(m.start) / rate * 1e6) / 1e6},
                                      {"end", std::round(static_cast<double>(m.end) / rate * 1e6) / 1e6},
                                      {"start_sample", m.start},
                                      {"end_sample", m.end}};
    const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) return IoError("write", path_);
  }
  if (std::fflush(file_) != 0) return IoError("write", path_);
  return {};
}

Status MarksJsonWriter::Close() {
  if (file_ == nullptr) return {};
  std::FILE* f = file_;
  file_ = nullptr;
  if (f == stdout) return std::fflush(f) == 0 ? Status{} : IoError("write", path_);
  return std::fclose(f) == 0 ? Status{} : IoError("write", path_);
}

Result<std::unique_ptr<SubtitleWriter>> SubtitleWriter::Create(const std::string& path) {
  Format format;
  if (path.ends_with(".srt")) {
    format = Format::kSrt;
  } else if (path.ends_with(".vtt")) {
    format = Format::kVtt;
  } else {
    return MakeError(ErrorCode::kBadRequest, "subtitles go to a .srt or .vtt file, not '" + path + "'");
  }
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return std::unexpected(IoError("write", path).error());
  return std::unique_ptr<SubtitleWriter>(new SubtitleWriter(f, path, format));
}

SubtitleWriter::~SubtitleWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Status SubtitleWriter::Add(const protocol::Marks& marks, uint32_t sample_rate) {
  sample_rate_ = sample_rate;
  for (const MarkInfo& m : marks.marks) {
    if (m.kind != MarkInfo::Kind::kPhone) marks_.push_back(m);
  }
  return {};
}

Status SubtitleWriter::Close() {
  if (file_ == nullptr) return {};
  const std::string text = Render(MakeCues(marks_, sample_rate_), format_);
  std::FILE* f = file_;
  file_ = nullptr;
  const bool written = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !written) return IoError("write", path_);
  return {};
}

std::vector<Cue> SubtitleWriter::MakeCues(const std::vector<MarkInfo>& marks, uint32_t sample_rate) {
  const double rate = std::max<uint32_t>(sample_rate, 1);
  std::vector<Cue> cues;
  const MarkInfo* sentence = nullptr;
  std::vector<const MarkInfo*> words;
  auto flush = [&] {
    if (!words.empty()) {
      AddCues(Pieces(sentence, words, rate), &cues);
    } else if (sentence != nullptr) {  // a voice that marks sentences only: one cue
      AddCues({{sentence->text, static_cast<double>(sentence->start) / rate, static_cast<double>(sentence->end) / rate}},
              &cues);
    }
    words.clear();
  };
  for (const MarkInfo& m : marks) {
    if (m.kind == MarkInfo::Kind::kSentence) {
      flush();
      sentence = &m;
    } else if (m.kind == MarkInfo::Kind::kWord) {
      words.push_back(&m);
    }
  }
  flush();
  // A cue never runs into the next one.
  for (size_t i = 0; i + 1 < cues.size(); ++i) cues[i].end = std::min(cues[i].end, cues[i + 1].start);
  return cues;
}

std::string SubtitleWriter::Render(const std::vector<Cue>& cues, Format format) {
  const bool vtt = format == Format::kVtt;
  std::string out = vtt ? "WEBVTT\n\n" : "";
  for (size_t i = 0; i < cues.size(); ++i) {
    const Cue& c = cues[i];
    // Two lines when it is long: broken after the piece that brings it closest to half.
    size_t total = 0;
    for (const auto& p : c.pieces) total += Chars(p);
    size_t br = c.pieces.size(), best = total, run = 0;
    if (total > kLineChars) {
      for (size_t k = 0; k + 1 < c.pieces.size(); ++k) {
        run += Chars(c.pieces[k]);
        const size_t off = run > total / 2 ? run - total / 2 : total / 2 - run;
        if (off < best) best = off, br = k;
      }
    }
    std::string text;
    for (size_t k = 0; k < c.pieces.size(); ++k) {
      if (vtt && k > 0) text += "<" + Timestamp(c.piece_starts[k], '.') + ">";
      text += k == br ? TrimRight(c.pieces[k]) + "\n" : c.pieces[k];
    }
    if (vtt) {
      out += Timestamp(c.start, '.') + " --> " + Timestamp(c.end, '.') + "\n" + text + "\n\n";
    } else {
      out += std::to_string(i + 1) + "\n" + Timestamp(c.start, ',') + " --> " + Timestamp(c.end, ',') + "\n" + text + "\n\n";
    }
  }
  return out;
}

}  // namespace ttsd::client
