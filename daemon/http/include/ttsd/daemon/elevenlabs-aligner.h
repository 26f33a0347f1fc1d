// The character alignment of one WebSocket context's audio (ElevenLabs' "alignment"), from ttsd's word
// marks: each word's time spread evenly over its characters, the spaces and punctuation between two
// words over the gap between them, and times counted from the audio of the message that carries them.
//   ElevenLabsAligner a; a.AddText(" Hello there. ");   // every byte the native request's text holds
//   a.AddMarks(*protocol::ParseMarks(frame.payload));     // as the marks frames come
//   auto al = a.Take(chunk_end_sample, rate);            // before sending the audio up to that sample
//   auto last = a.Finish(total_samples, rate);           // with the last audio: every character left
// Thread-safety: one object per context, used by one thread (the I/O thread).
//
// Which message carries a character: the first one whose audio reaches the character's start. Its times
// count from the first sample that no earlier alignment covered, which is that message's own first
// sample unless the message before it had no alignment (its audio began no character: a pause, or an
// encoder that held its bytes back). The last character of a message ends where its audio ends, so the
// durations of a context's messages add up to its audio (up to the message with its last character: a
// pause after the last word carries none): clients that keep a clock by adding up each message's last
// end (Pipecat, per context) stay right. Every character of the text goes out exactly once, in order.
//
// Characters right after a word that are spaces or closing punctuation start where the word ends, as
// soon as the word is marked; the rest of the text between words, when the next word is marked. Voices
// that mark sentences only (token voices) are aligned by sentence, once a sentence's audio is complete.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ttsd/daemon/elevenlabs-messages.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

class ElevenLabsAligner {
 public:
  // utf8: the next bytes of the native request's text (the synthesize text, then each text frame's).
  void AddText(std::string_view utf8);
  // A marks frame's marks: words (and sentences, until a word is seen); phones are skipped.
  void AddMarks(const protocol::Marks& marks);
  // The characters that start before end_sample, with times from the first uncovered sample to
  // end_sample; none (nullopt) when no character starts there (the uncovered audio then grows).
  std::optional<ElevenLabsAlignment> Take(uint64_t end_sample, uint32_t rate_hz);
  // At the request's end (end_sample: all its samples): the text not yet timed is spread from the last
  // word's end to end_sample, and every character left goes out.
  std::optional<ElevenLabsAlignment> Finish(uint64_t end_sample, uint32_t rate_hz);

  size_t text_bytes() const { return text_.size(); }

 private:
  struct Timed {
    std::string ch;      // one UTF-8 character
    uint64_t start = 0;  // its first sample
  };
  // Times the characters of text_[next_, end) evenly over [from, to).
  void Spread(size_t end, uint64_t from, uint64_t to);
  void Word(uint64_t begin, uint64_t end, uint64_t start, uint64_t stop);
  size_t CharEnd(size_t at) const;  // the byte after the character at `at`

  std::string text_;
  size_t next_ = 0;            // text_[0, next_) has been timed
  uint64_t last_end_ = 0;      // the end of the last word marked
  uint64_t last_start_ = 0;    // the start of the last character timed (starts never go back)
  uint64_t origin_ = 0;        // the first sample no alignment has covered
  bool words_seen_ = false;
  std::deque<protocol::MarkInfo> sentences_;  // sentence marks, while no word mark has come
  std::deque<Timed> timed_;                   // timed, not yet sent
};

}  // namespace ttsd::daemon
