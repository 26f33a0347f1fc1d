// ElevenLabsAligner: word marks to per-message character timings (elevenlabs-aligner.h).
#include "ttsd/daemon/elevenlabs-aligner.h"

#include <algorithm>
#include <cmath>

namespace ttsd::daemon {
namespace {

// What may follow a word and belongs to the gap after it: whitespace and closing punctuation.
bool TrailsWord(char c) {
  switch (c) {
    case ' ': case '\t': case '\n': case '\r': case '.': case ',': case '!': case '?': case ';': case ':':
    case ')': case ']': case '}': case '"':
      return true;
    default: return false;
  }
}

int64_t Ms(uint64_t samples, uint32_t rate_hz) {
  return std::llround(static_cast<double>(samples) * 1000.0 / rate_hz);
}

}  // namespace

void ElevenLabsAligner::AddText(std::string_view utf8) { text_.append(utf8); }

size_t ElevenLabsAligner::CharEnd(size_t at) const {
  size_t end = at + 1;
  while (end < text_.size() && (static_cast<unsigned char>(text_[end]) & 0xC0) == 0x80) ++end;
  return end;
}

void ElevenLabsAligner::Spread(size_t end, uint64_t from, uint64_t to) {
  end = std::min(end, text_.size());
  std::vector<size_t> starts;
  for (size_t at = next_; at < end; at = CharEnd(at)) starts.push_back(at);
  if (to < from) to = from;
  for (size_t k = 0; k < starts.size(); ++k) {
    const size_t stop = k + 1 < starts.size() ? starts[k + 1] : CharEnd(starts[k]);
    uint64_t start = from + (to - from) * k / starts.size();
    start = std::max(start, last_start_);
    last_start_ = start;
    timed_.push_back({text_.substr(starts[k], stop - starts[k]), start});
  }
  if (!starts.empty()) next_ = CharEnd(starts.back());
}

// A word (or a sentence, for voices that mark no words) over bytes [begin, end) and samples [start, stop).
void ElevenLabsAligner::Word(uint64_t begin, uint64_t end, uint64_t start, uint64_t stop) {
  if (begin > text_.size()) return;  // beyond the text we know: cannot happen with our own requests
  if (begin > next_) Spread(begin, last_end_, start);  // the gap before it
  if (end > next_) Spread(end, start, stop);
  last_end_ = std::max(last_end_, stop);
  // Spaces and closing punctuation after it start where it ends.
  size_t gap = next_;
  while (gap < text_.size() && TrailsWord(text_[gap])) ++gap;
  if (gap > next_) Spread(gap, last_end_, last_end_);
}

void ElevenLabsAligner::AddMarks(const protocol::Marks& marks) {
  for (const protocol::MarkInfo& m : marks.marks) {
    if (m.kind == protocol::MarkInfo::Kind::kWord) {
      words_seen_ = true;
      sentences_.clear();
      Word(m.text_begin, m.text_end, m.start, std::max(m.end, m.start));
    } else if (m.kind == protocol::MarkInfo::Kind::kSentence && !words_seen_) {
      sentences_.push_back(m);
    }
  }
}

std::optional<ElevenLabsAlignment> ElevenLabsAligner::Take(uint64_t end_sample, uint32_t rate_hz) {
  // Spaces before the first word (ElevenLabs' " " that begins a stream) start at once: the first
  // audio, often silence before the first word's mark has come, then carries them.
  if (!words_seen_ && last_end_ == 0) {
    size_t gap = next_;
    while (gap < text_.size() && (text_[gap] == ' ' || text_[gap] == '\t' || text_[gap] == '\n' || text_[gap] == '\r')) ++gap;
    if (gap > next_) Spread(gap, last_start_, last_start_);
  }
  // A sentence stands for its words only once its audio is complete: a voice that marks words sends
  // them long before that.
  while (!words_seen_ && !sentences_.empty() && sentences_.front().end <= end_sample) {
    const protocol::MarkInfo s = sentences_.front();
    sentences_.pop_front();
    Word(s.text_begin, s.text_end, s.start, std::max(s.end, s.start));
  }
  if (rate_hz == 0 || timed_.empty() || timed_.front().start >= end_sample) return std::nullopt;
  if (end_sample < origin_) end_sample = origin_;
  ElevenLabsAlignment out;
  const int64_t end_ms = Ms(end_sample - origin_, rate_hz);
  while (!timed_.empty() && timed_.front().start < end_sample) {
    const uint64_t start = std::max(timed_.front().start, origin_);
    out.chars.push_back(std::move(timed_.front().ch));
    out.start_ms.push_back(std::min(Ms(start - origin_, rate_hz), end_ms));
    timed_.pop_front();
  }
  for (size_t i = 0; i < out.chars.size(); ++i) {
    const int64_t next = i + 1 < out.chars.size() ? out.start_ms[i + 1] : end_ms;
    out.duration_ms.push_back(next - out.start_ms[i]);
  }
  origin_ = end_sample;
  return out;
}

std::optional<ElevenLabsAlignment> ElevenLabsAligner::Finish(uint64_t end_sample, uint32_t rate_hz) {
  while (!sentences_.empty()) {
    const protocol::MarkInfo s = sentences_.front();
    sentences_.pop_front();
    Word(s.text_begin, s.text_end, s.start, std::max(s.end, s.start));
  }
  Spread(text_.size(), std::min(last_end_, end_sample), end_sample);
  // Whatever starts at the very end goes out too, with no duration.
  for (Timed& t : timed_) t.start = std::min(t.start, end_sample > 0 ? end_sample - 1 : 0);
  if (timed_.empty()) return std::nullopt;
  return Take(std::max<uint64_t>(end_sample, 1), rate_hz);
}

}  // namespace ttsd::daemon
