#include "ttsc/phonemes-command.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "ttsc/cli.h"
#include "ttsd/frontend/mandarin.h"
#include "ttsd/frontend/text-frontend.h"
#include "ttsd/frontend/user-lexicon.h"

namespace ttsd::ttsc {
namespace {

std::string Join(const std::vector<std::string>& parts, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) out += (out.empty() ? "" : " ") + parts[i];
  return out;
}

// s padded with spaces to `columns` terminal columns (a CJK character takes two).
std::string Padded(std::string_view s, size_t columns) {
  size_t width = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    width += c >= 0xE1 ? 2 : 1;        // U+1000 and up: mostly wide (CJK, full-width forms)
  }
  std::string out(s);
  if (width < columns) out.append(columns - width, ' ');
  return out + ' ';
}

// One sentence: the Chinese words with their pinyin, the rest with the phones the voice gets.
int PrintSentence(const frontend::TextFrontend& fe, const std::string& sentence) {
  std::printf("%s\n", sentence.c_str());
  auto chinese = frontend::ReadMandarin(sentence);
  auto segment = fe.Phonemize(sentence);
  if (!chinese || !segment) {
    const Error& e = !chinese ? chinese.error() : segment.error();
    std::printf("  (not read: %s)\n", e.ToString().c_str());
    return kExitFailed;
  }
  std::vector<std::pair<uint32_t, std::string>> lines;  // in text order
  size_t next = 0;  // the next Chinese word
  for (const frontend::SegmentWord& w : segment->words) {
    const std::string_view written(sentence.data() + w.begin, w.end - w.begin);
    while (next < chinese->size() && (*chinese)[next].span.end <= w.begin) ++next;
    if (next < chinese->size() && (*chinese)[next].span.begin < w.end) continue;  // Chinese: below, by word
    lines.emplace_back(w.begin, "  " + Padded(written, 14) + Join(segment->phones, w.first_phone, w.end_phone));
  }
  for (const frontend::MandarinWord& w : *chinese) {
    const std::string_view written = std::string_view(sentence).substr(w.span.begin, w.span.end - w.span.begin);
    std::string text = w.text;
    if (written != w.text) text += " (" + std::string(written) + ")";  // numbers, traditional characters
    lines.emplace_back(w.span.begin, "  " + Padded(text, 14) + Join(w.syllables, 0, w.syllables.size()));
  }
  std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [begin, text] : lines) std::printf("%s\n", text.c_str());
  return kExitOk;
}

}  // namespace

void AddPhonemesCommand(CLI::App* app, PhonemesCommand* p) {
  p->cmd = app->add_subcommand(
      "phonemes",
      "Print what the text frontend reads in TEXT, word by word: pinyin with tones (after sandhi) for Chinese, "
      "CMU phones for the rest. Runs the frontend here, without ttsd: pass --lexicon for the user lexicon ttsd "
      "would load.");
  p->cmd->add_option("text", p->text, "the text");
  p->cmd->add_flag("--stdin", p->from_stdin, "read the text from standard input");
  p->cmd->add_option("--lexicon", p->lexicon, "a user lexicon file (the format of ttsd's --lexicon)");
}

int RunPhonemesCommand(const PhonemesCommand& p) {
  std::string text = p.text;
  if (p.from_stdin) text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  if (text.empty()) return Usage("phonemes: nothing to read; give TEXT or --stdin");
  if (!p.lexicon.empty()) {
    auto lexicon = frontend::UserLexicon::Load(p.lexicon);
    if (!lexicon) return Report(lexicon.error(), kExitUsage);
    frontend::UserLexicon::Install(*lexicon);
  }
  auto fe = frontend::TextFrontend::Create("en-us");
  if (!fe) return Report(fe.error(), kExitFailed);
  frontend::SentenceSplitter splitter;
  splitter.Append(text);
  splitter.Close();
  int rc = kExitOk;
  while (!splitter.Done()) {
    const std::string sentence = splitter.Next();
    if (sentence.empty()) break;
    if (sentence.front() == '[' && sentence.back() == ']') continue;  // an inline tag
    if (PrintSentence(**fe, sentence) != kExitOk) rc = kExitFailed;
  }
  return rc;
}

}  // namespace ttsd::ttsc
