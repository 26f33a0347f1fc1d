// Checks ttsd's GPT-SoVITS runtime against Python outputs of upstream's own code for the same package
// (models/README.md, "Checked against upstream"): phone ids from ttsd's frontend against upstream's
// English frontend, the reference's prompt tokens, greedy tokens and whole-utterance audio.
//   build-torch2/bench/gpt-sovits-check --voice PKG --ref DIR   (DIR: reference.json, case-*.json, case-*.f32)
// Prints one line per check and exits 1 when a check fails. With --cmudict FILE --words FILE it also
// counts the words whose phones in ttsd's lexicon differ from CMUdict's (upstream's lexicon).
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "../engine/src/gpt-sovits.h"
#include "ttsd/engine/voice.h"
#include "ttsd/frontend/text-frontend.h"

namespace {

using json = nlohmann::json;

json Read(const std::filesystem::path& p) { return json::parse(std::ifstream(p)); }

std::vector<int64_t> Ints(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kLong).contiguous().view({-1});
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

int failures = 0;

void Report(bool ok, const std::string& what, const std::string& detail = "") {
  std::printf("%s %s%s%s\n", ok ? "match   " : "MISMATCH", what.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  failures += ok ? 0 : 1;
}

std::string Show(const std::vector<int64_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < 24; ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s + (v.size() > 24 ? " ..." : "") + " (" + std::to_string(v.size()) + ")";
}

// ttsd's phones of each word, spelt as upstream's symbols (flite's ax/axr are AH/ER), against CMUdict's.
void CompareLexicons(const ttsd::frontend::TextFrontend& fe, const std::string& cmudict_path,
                     const std::string& words_path) {
  std::map<std::string, std::string> cmu;
  std::ifstream in(cmudict_path);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(";;;")) continue;
    const size_t gap = line.find("  ");
    if (gap == std::string::npos) continue;
    std::string word = line.substr(0, gap), phones;
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::istringstream ps(line.substr(gap));
    for (std::string p; ps >> p;) {
      if (p != "-") phones += (phones.empty() ? "" : " ") + p;
    }
    cmu.emplace(word, phones);
  }
  int same = 0, differ = 0, missing = 0;
  std::string examples;
  std::ifstream words(words_path);
  for (std::string w; std::getline(words, w);) {
    auto it = cmu.find(w);
    if (it == cmu.end()) {
      ++missing;
      continue;
    }
    std::string ours;
    for (std::string p : fe.WordPhones(w)) {
      for (char& c : p) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (p.starts_with("AXR")) p = "ER" + p.substr(3);
      else if (p.starts_with("AX")) p = "AH" + p.substr(2);
      ours += (ours.empty() ? "" : " ") + p;
    }
    if (ours == it->second) {
      ++same;
    } else {
      ++differ;
      if (differ <= 12) examples += "  " + w + ": " + ours + " | CMUdict " + it->second + "\n";
    }
  }
  std::printf("lexicon: %d words in CMUdict, %d spelt the same, %d differ (%d not in CMUdict)\n%s", same + differ,
              same, differ, missing, examples.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"gpt-sovits-check: ttsd against upstream Python outputs for one package"};
  std::string voice_dir, ref_dir;
  double tolerance = 1e-4;
  app.add_option("--voice", voice_dir, "GPT-SoVITS voice package")->required();
  app.add_option("--ref", ref_dir, "Python outputs: reference.json, case-*.json, case-*.f32")->required();
  app.add_option("--tolerance", tolerance, "largest audio difference that matches")->capture_default_str();
  std::string cmudict_path, words_path;
  app.add_option("--cmudict", cmudict_path, "upstream's GPT_SoVITS/text/cmudict.rep (WORD  P1 P2 ...)");
  app.add_option("--words", words_path, "words to compare with it, one per line");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(2);

  // The frontend as the voice has it: with the package's lexicon, if it has one.
  auto manifest = ttsd::engine::VoiceManifest::Read(voice_dir);
  if (!manifest) return 2;
  std::shared_ptr<const ttsd::frontend::UserLexicon> lexicon;
  if (!manifest->gpt_sovits.lexicon_file.empty()) {
    auto loaded = ttsd::frontend::UserLexicon::Load(voice_dir + "/" + manifest->gpt_sovits.lexicon_file);
    if (!loaded) {
      std::fprintf(stderr, "gpt-sovits-check: %s\n", loaded.error().ToString().c_str());
      return 2;
    }
    lexicon = *loaded;
    std::printf("the package's lexicon: %zu words\n", lexicon->size());
  }
  auto fe = ttsd::frontend::TextFrontend::Create("en-us", lexicon);
  if (!fe) return 2;
  if (!cmudict_path.empty() && !words_path.empty()) CompareLexicons(**fe, cmudict_path, words_path);
  auto model = ttsd::engine::GptSovitsModel::Load(voice_dir, *manifest, torch::kCPU, **fe);
  if (!model) {
    std::fprintf(stderr, "gpt-sovits-check: %s\n", model.error().ToString().c_str());
    return 2;
  }
  const json ref = Read(std::filesystem::path(ref_dir) / "reference.json");
  const auto& own = (*model)->default_reference();
  Report(Ints(own.ref_seq) == ref["ref_seq"].get<std::vector<int64_t>>(), "reference transcript's phone ids",
         Show(Ints(own.ref_seq)) + " vs upstream " + Show(ref["ref_seq"].get<std::vector<int64_t>>()));
  Report(Ints(own.prompts) == ref["prompts"].get<std::vector<int64_t>>(), "reference's prompt tokens",
         Show(Ints(own.prompts)));
  // The model is compared on upstream's phone ids, so that a phone the frontends spell differently
  // does not hide or cause a difference in the model's tokens and audio.
  ttsd::engine::GptSovitsReference upstream = own;
  upstream.ref_seq = torch::tensor(ref["ref_seq"].get<std::vector<int64_t>>(), torch::kLong).view({1, -1});

  std::vector<std::filesystem::path> cases;
  for (const auto& e : std::filesystem::directory_iterator(ref_dir)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with("case-") && name.ends_with(".json")) cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  for (const auto& path : cases) {
    const json c = Read(path);
    const std::string text = c["text"];
    auto segment = (*fe)->Phonemize(text);
    auto ids = segment ? (*model)->SentenceIds(*segment, text) : std::unexpected(segment.error());
    const auto want_ids = c["text_seq"].get<std::vector<int64_t>>();
    Report(ids && *ids == want_ids, "\"" + text + "\" phone ids",
           (ids ? Show(*ids) : ids.error().message) + " vs upstream " + Show(want_ids));
    // Upstream's ids from here on, so that the model is compared even where the phones differ.
    c10::InferenceMode guard;
    torch::Tensor text_seq = torch::tensor(want_ids, torch::kLong).view({1, -1});
    ttsd::engine::TokenSampler sampler(torch::kCPU, c["greedy"]["seed"].get<uint64_t>());
    const ttsd::engine::Sampling sampling{.top_k = c["greedy"]["top_k"].get<int>()};  // upstream's other defaults
    auto d = (*model)->Prefill(upstream, text_seq);
    while (!d.ended && d.generated() < ttsd::engine::kGptSovitsMaxTokens) (*model)->Step(d, sampling, sampler);
    std::vector<int64_t> tokens = Ints(d.y.narrow(1, d.prompt_len, d.generated()));
    const auto want_tokens = c["greedy"]["tokens"].get<std::vector<int64_t>>();
    Report(tokens == want_tokens, "\"" + text + "\" greedy tokens", Show(tokens));
    if (tokens != want_tokens) continue;
    torch::manual_seed(c["audio"]["seed"].get<uint64_t>());
    torch::Tensor audio = (*model)->Vocode(d, 0, d.generated(), text_seq, upstream);
    std::ifstream in(std::filesystem::path(ref_dir) / c["audio"]["file"].get<std::string>(), std::ios::binary);
    std::vector<float> want(static_cast<size_t>(c["audio"]["samples"].get<int64_t>()));
    in.read(reinterpret_cast<char*>(want.data()), static_cast<std::streamsize>(want.size() * sizeof(float)));
    double worst = audio.size(0) == static_cast<int64_t>(want.size()) ? 0 : 1e9;
    for (size_t i = 0; worst < 1e9 && i < want.size(); ++i) {
      worst = std::max(worst, std::abs(static_cast<double>(audio[static_cast<int64_t>(i)].item<float>()) - want[i]));
    }
    char detail[96];
    std::snprintf(detail, sizeof detail, "%lld samples, max abs difference %.2g", static_cast<long long>(audio.size(0)),
                  worst);
    Report(worst <= tolerance, "\"" + text + "\" whole-utterance audio", detail);
  }
  return failures == 0 ? 0 : 1;
}
