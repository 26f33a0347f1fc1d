// Chinese for GPT-SoVITS voices: ttsd's Mandarin reading (frontend/mandarin.h) spelled in upstream's
// symbols (GPT_SoVITS/text/chinese2.py: an initial, then the final with its tone digit), and the
// characters and per-character phone counts (word2ph) its Chinese BERT (bert_model.pt) reads.
//   ZhSyllableSymbols("zhong1") == {"zh", "ong1"};  ZhSyllableSymbols("yan2") == {"y", "En2"}
//   ZhSyllableSymbols("dianr3") == {"d", "ian3", "EE", "er3"}   // erhua: 儿 keeps its own syllable
// Thread-safety: pure functions; a BertVocab is immutable after Read and safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::engine {

// Upstream's symbols of one tone-number syllable ("hang2", "lv4", "ma5", "dianr3"); empty if it is
// none. The rules (upstream's table opencpop-strict.txt, restated):
//  - initial: the longest of zh ch sh b p m f d t n l g k h j q x r z c s y w; a syllable without one
//    takes "AA", "EE" or "OO" by its first letter (a, e, o);
//  - final: as written, with u after j q x y as v (ju -> j v, yuan -> y van), lue/nue as ve, i after
//    z c s as "i0" and after zh ch sh r as "ir", yan as "En" and ye as "E"; the tone digit after it;
//  - a final written without its y- or w- ("i1", "uo3", "v4") is respelled first as upstream does
//    (iu ui un in full, then i in ing -> yi yin ying, u -> wu, else a leading i u v -> y w yu;
//    "ir", "iz" alone: none);
//  - erhua ("dianr3"): the syllable, then "EE" "er" with the same tone (upstream's _merge_erhua);
//  - the syllabic interjections: m, hm as upstream's 呣 -> 母 ("m" "u"), n, ng as its 嗯 -> 恩
//    ("EE" "en"), hng as "h" "eng".
std::vector<std::string> ZhSyllableSymbols(std::string_view syllable);

// Upstream's symbol for a punctuation mark in Chinese text (chinese2.py's rep_map, then its
// punctuation list): ，：；、·/ -> ","; 。 \n $ -> "."; ！ -> "!"; ？ -> "?"; — -> "-"; ~ ～ … -> "…";
// ASCII ! ? , . - stay. Empty for anything else (upstream drops it). `mark` is one UTF-8 character.
std::string_view ZhMark(std::string_view mark);

// A Chinese run of text as upstream's zh frontend lays it out.
struct ZhRun {
  std::vector<std::string> symbols;  // upstream's symbols, marks included
  std::vector<std::string> chars;    // what BERT reads: one UTF-8 character per entry
  std::vector<int32_t> word2ph;      // symbols per entry of chars (they sum to symbols.size())
};

// Reads text (Chinese, with marks, numbers ...) with ttsd's Mandarin frontend into upstream's
// symbols; consecutive marks are one (the first), as upstream. Errors: kUnsupportedText (a
// syllable with no symbols; a bad `字(pinyin)` override).
Result<ZhRun> ReadZhRun(std::string_view text);

// A sentence cut by script, as upstream's LangSegmenter does for a Chinese voice: runs holding CJK
// characters ("zh") and runs of Latin text ("en"); marks, digits and spaces stay with the run they
// are in (ahead of the first run: with it); a unit right after a number in Chinese ("5km", "2kg")
// stays Chinese when the Mandarin frontend reads it.
struct ScriptRun {
  bool zh = false;
  std::string text;
};
std::vector<ScriptRun> SplitScripts(std::string_view sentence);
bool HasCjk(std::string_view text);

// The WordPiece vocabulary of upstream's Chinese RoBERTa (vocab.txt: one token per line, id = line
// number), for what Chinese needs: one token per character, [UNK] for one it lacks (ASCII letters
// also tried in lower case, as the uncased tokenizer), between [CLS] and [SEP].
class BertVocab {
 public:
  // Errors: kIo (unreadable), kModelError (no [CLS], [SEP] or [UNK]).
  static Result<BertVocab> Read(const std::string& path);
  std::vector<int64_t> Encode(const std::vector<std::string>& chars) const;  // [CLS] ids... [SEP]
  size_t size() const { return ids_.size(); }

 private:
  std::unordered_map<std::string, int64_t> ids_;
  int64_t cls_ = 0, sep_ = 0, unk_ = 0;
};

}  // namespace ttsd::engine
