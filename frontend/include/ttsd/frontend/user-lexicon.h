// A user's pronunciation lexicon: words and their phones, from a plain text file, overriding the
// frontend's own lexicon. One lexicon is installed for the whole process; every TextFrontend reads
// the installed one at the start of each call.
//   auto lexicon = UserLexicon::Load("/home/me/.config/ttsd/lexicon.txt");
//   if (lexicon) UserLexicon::Install(*lexicon); else log(lexicon.error().ToString());
// Thread-safety: a UserLexicon is immutable. Install and Current may be called from any thread at
// once: a reader gets the old lexicon or the new one, never a mix.
//
// The file: one entry per line, the word, then tabs or spaces, then its phones in the notation of
// [[...]] (CMU/ARPAbet with optional stress digits, or IPA; see README.md); '#' starts a comment.
//   # word        phones
//   ttsd          T IY1 T IY1 EH1 S D IY1
//   nguyen        ŋ w ɪ n
//   rock-n-roll   [[r ɑ k ə n ˈr oʊ l]]
// Words are matched without regard to case; they may hold letters (accents fold away as in text),
// digits, and inner apostrophes and hyphens. A word of Chinese characters takes pinyin instead,
// one syllable per character (tone marks or digits), and wins over the Mandarin frontend's own
// segmentation and readings (traditional characters match their simplified forms):
//   银行          yin2 hang2
//   重庆          chóng qìng
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::frontend {

class UserLexicon {
 public:
  static constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;

  // origin names the text in errors. Errors: kBadRequest "<origin>:<line>: <what>" for a line
  // with no phones, an unknown phone symbol, a word that is not one, or a word given twice; for a
  // Chinese word, a syllable that is not pinyin or a count of syllables unlike its characters'.
  static Result<std::shared_ptr<const UserLexicon>> Parse(std::string_view text, std::string_view origin);
  // Errors: kIo if the file cannot be read or is larger than kMaxFileBytes; as Parse.
  static Result<std::shared_ptr<const UserLexicon>> Load(const std::string& path);

  // The CMU phones of a word (any case), or nullptr if the lexicon does not have it.
  const std::vector<std::string>* Find(std::string_view word) const;
  // The pinyin of a Chinese word (UTF-8, simplified as the Mandarin reader reads it), tone-number
  // syllables, or nullptr.
  const std::vector<std::string>* FindPinyin(std::string_view word) const;
  size_t size() const { return entries_.size() + pinyin_.size(); }
  bool empty() const { return entries_.empty() && pinyin_.empty(); }

  // The lexicon every TextFrontend reads; nullptr removes it.
  static void Install(std::shared_ptr<const UserLexicon> lexicon);
  // The installed lexicon, or nullptr.
  static std::shared_ptr<const UserLexicon> Current();

 private:
  UserLexicon() = default;
  std::unordered_map<std::string, std::vector<std::string>> entries_;  // folded lower-case word
  std::unordered_map<std::string, std::vector<std::string>> pinyin_;   // simplified Chinese word
};

}  // namespace ttsd::frontend
