#include "gpt-sovits.h"

#include <ATen/Context.h>
#include <sndfile.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "voice-impl.h"

namespace ttsd::engine {
namespace {

constexpr int kRate = 32000;     // vits.pt's input and output
constexpr int kSslRate = 16000;  // HuBERT's
constexpr double kMinReferenceS = 3, kMaxReferenceS = 10;

Result<std::vector<float>> ReadMono(const std::string& path, int* rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return MakeError(ErrorCode::kIo, "cannot read " + path + ": " + sf_strerror(nullptr));
  std::vector<float> frames(static_cast<size_t>(info.frames) * static_cast<size_t>(info.channels));
  const sf_count_t got = sf_readf_float(f, frames.data(), info.frames);
  sf_close(f);
  std::vector<float> mono(static_cast<size_t>(got));
  for (size_t i = 0; i < mono.size(); ++i) {
    float sum = 0;
    for (int c = 0; c < info.channels; ++c) sum += frames[i * static_cast<size_t>(info.channels) + static_cast<size_t>(c)];
    mono[i] = sum / static_cast<float>(info.channels);
  }
  *rate = info.samplerate;
  return mono;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The marks that make pauses in text, in order, as upstream's phones: . ! ? stay, , ; : ( ) and
// dashes are ",", a run of marks is its first ("?!" is "?"), a dot between digits is none.
// *trailing: the text ends with the last of them.
std::vector<std::string> PauseMarks(std::string_view s, bool* trailing) {
  std::vector<std::string> marks;
  bool in_run = false;
  *trailing = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const std::string_view three = s.substr(i, 3);
    std::string mark;
    if (c == '.' || c == '!' || c == '?') {
      if (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) continue;
      mark = std::string(1, c);
    } else if (c == ',' || c == ';' || c == ':' || c == '(' || c == ')' ||
               (c == '-' && ((i + 1 < s.size() && s[i + 1] == '-') || (i > 0 && s[i - 1] == ' ')))) {
      mark = ",";
    } else if (three == "\xE2\x80\x94" || three == "\xE2\x80\x93" || three == "\xEF\xBC\x8C") {  // — – ，
      mark = ",";
      i += 2;
    } else if (three == "\xE3\x80\x82" || three == "\xEF\xBC\x9F" || three == "\xEF\xBC\x81") {  // 。？！
      mark = three == "\xEF\xBC\x9F" ? "?" : three == "\xEF\xBC\x81" ? "!" : ".";
      i += 2;
    } else {
      if (!std::isspace(static_cast<unsigned char>(c)) && c != '"' && c != '\'' && c != ']' && c != '}') {
        in_run = false;
        *trailing = false;
      }
      continue;
    }
    if (!in_run) marks.push_back(mark);
    in_run = true;
    *trailing = mark != ",";
  }
  return marks;
}

// The sentence's own end mark, as upstream keeps it: ? and ! stay, anything else ends in ".".
std::string EndMark(std::string_view sentence) {
  const size_t end = sentence.find_last_not_of(" \t\r\n\"')]}");
  if (end == std::string_view::npos) return ".";
  if (sentence[end] == '?') return "?";
  if (sentence[end] == '!') return "!";
  if (end >= 2 && sentence.substr(end - 2, 3) == "\xEF\xBC\x9F") return "?";  // ？
  if (end >= 2 && sentence.substr(end - 2, 3) == "\xEF\xBC\x81") return "!";  // ！
  return ".";
}

}  // namespace

StreamRng::StreamRng(torch::Device device, std::optional<uint64_t> seed) : device_(device), seeded_(seed.has_value()) {
  if (!seed) return;
  std::unique_lock lock(Lock());
  at::Generator gen = at::globalContext().defaultGenerator(device_);
  std::lock_guard gen_lock(gen.mutex());
  torch::Tensor saved = gen.get_state();
  gen.set_current_seed(*seed);
  state_ = gen.get_state();
  gen.set_state(saved);
}

std::shared_mutex& StreamRng::Lock() {
  static std::shared_mutex m;
  return m;
}

void StreamRng::Swap() {
  at::Generator gen = at::globalContext().defaultGenerator(device_);
  std::lock_guard gen_lock(gen.mutex());
  torch::Tensor global = gen.get_state();
  gen.set_state(state_);
  state_ = std::move(global);
}

Result<std::unique_ptr<GptSovitsModel>> GptSovitsModel::Load(const std::string& dir, const VoiceManifest& m,
                                                             torch::Device device,
                                                             const frontend::TextFrontend& frontend) {
  namespace fs = std::filesystem;
  const GptSovitsManifest& g = m.gpt_sovits;
  std::unique_ptr<GptSovitsModel> model(new GptSovitsModel());
  model->device_ = device;
  model->dtype_ = g.dtype == "fp16" ? torch::kHalf : torch::kFloat;
  model->frontend_ = &frontend;
  for (size_t i = 0; i < m.phonemes.size(); ++i) model->symbol_ids_.emplace(m.phonemes[i], static_cast<int64_t>(i));
  model->symbol_count_ = static_cast<int64_t>(m.phonemes.size());

  // Loaded straight onto the device: the exports keep weights in TorchScript objects and attributes
  // that Module::to does not move.
  struct Want {
    const std::string* file;
    torch::jit::Module* module;
    std::vector<const char*> methods;
  };
  const Want wants[] = {{&g.t2s_file, &model->t2s_, {"prefill_logits", "step_logits"}},
                        {&g.vits_file, &model->vits_, {"ref_handle", "extract_latent", "forward"}},
                        {&g.ssl_file, &model->ssl_, {"forward", "resample"}}};
  for (const Want& w : wants) {
    const std::string path = (fs::path(dir) / *w.file).string();
    if (!fs::exists(path)) return MakeError(ErrorCode::kModelError, dir + ": module file '" + *w.file + "' is missing");
    auto loaded = Guarded(("loading " + path).c_str(), [&] {
      torch::jit::Module mod = torch::jit::load(path, device);
      mod.eval();
      return mod;
    });
    if (!loaded) return std::unexpected(loaded.error());
    for (const char* method : w.methods) {
      if (w.module == &model->t2s_ && !loaded->find_method(method) && loaded->find_method("pre_infer")) {
        return MakeError(ErrorCode::kModelError,
                         dir + ": " + *w.file + " is upstream's export as it is, without the logits ttsd samples from " +
                             "(no method '" + method + "'): run models/gpt-sovits/t2s_logits.py on it (package.py " +
                             "does; packages made before it did need this once)");
      }
      if (!loaded->find_method(method)) {
        return MakeError(ErrorCode::kModelError, dir + ": " + *w.file + " has no method '" + method +
                                                     "' (not a GPT-SoVITS streaming export?)");
      }
    }
    *w.module = std::move(*loaded);
  }

  if (!g.bert_file.empty()) {
    const std::string path = (fs::path(dir) / g.bert_file).string();
    if (!fs::exists(path)) return MakeError(ErrorCode::kModelError, dir + ": module file '" + g.bert_file + "' is missing");
    auto loaded = Guarded(("loading " + path).c_str(), [&] {
      torch::jit::Module mod = torch::jit::load(path, device);
      mod.eval();
      return mod;
    });
    if (!loaded) return std::unexpected(loaded.error());
    if (!loaded->find_method("forward")) return MakeError(ErrorCode::kModelError, dir + ": " + g.bert_file + " has no forward");
    model->bert_ = std::move(*loaded);
    auto vocab = BertVocab::Read((fs::path(dir) / g.bert_vocab_file).string());
    if (!vocab) return std::unexpected(vocab.error());
    model->vocab_ = std::move(*vocab);
  }

  int rate = 0;
  auto audio = ReadMono((fs::path(dir) / g.reference_audio).string(), &rate);
  if (!audio) return std::unexpected(audio.error());
  auto ref = model->Reference(*audio, rate, g.reference_text);
  if (!ref) {
    return MakeError(ref.error().code, dir + ": the package's reference: " + ref.error().message);
  }
  model->default_reference_ = std::move(*ref);
  return model;
}

Result<std::vector<int64_t>> GptSovitsModel::SentenceIds(const frontend::Segment& segment,
                                                          std::string_view sentence) const {
  return SymbolIds(EnglishSymbols(segment, sentence, true));
}

std::vector<std::string> GptSovitsModel::EnglishSymbols(const frontend::Segment& segment, std::string_view sentence,
                                                        bool whole) const {
  std::vector<std::string> symbols;
  const auto& phones = segment.phones;
  // A pause inside takes its own mark from the text when the text's marks and the pauses line up
  // (a reference transcript may hold several sentences); else ",".
  bool trailing = false;
  std::vector<std::string> marks = PauseMarks(sentence, &trailing);
  if (trailing) marks.pop_back();  // the end's mark comes from EndMark
  const size_t inner = phones.size() < 2 ? 0 : std::count(phones.begin() + 1, phones.end() - 1, std::string("pau"));
  const bool use_marks = marks.size() == inner;
  size_t next_mark = 0;
  for (size_t i = 0; i < phones.size(); ++i) {
    std::string s;
    if (phones[i] == "pau") {
      const bool last = i + 1 == phones.size();
      if (!last && i > 0) ++next_mark;
      if (symbols.empty()) continue;  // a sentence starts with its first phone
      if (last && !whole && !trailing) continue;  // a run inside mixed text ends without a mark
      s = last ? EndMark(sentence) : use_marks ? marks[next_mark - 1] : ",";
      if (symbols.back() == "," || symbols.back() == s) {
        symbols.back() = s;  // one mark per pause
        continue;
      }
    } else {
      s = Upper(phones[i]);
      // flite's reduced vowels are upstream's unstressed AH and ER.
      if (s.starts_with("AXR")) s = "ER" + s.substr(3);
      else if (s.starts_with("AX")) s = "AH" + s.substr(2);
    }
    symbols.push_back(std::move(s));
  }
  if (!whole) return symbols;
  if (!symbols.empty() && symbols.back() != "." && symbols.back() != "?" && symbols.back() != "!") {
    symbols.push_back(EndMark(sentence));
  }
  if (symbols.size() < 6) symbols.insert(symbols.begin(), ".");  // upstream's rule for short text
  return symbols;
}

Result<std::vector<int64_t>> GptSovitsModel::SymbolIds(const std::vector<std::string>& symbols) const {
  std::vector<int64_t> ids;
  ids.reserve(symbols.size());
  for (const std::string& s : symbols) {
    auto it = symbol_ids_.find(s);
    if (it == symbol_ids_.end() && !s.empty() && std::isdigit(static_cast<unsigned char>(s.back()))) {
      it = symbol_ids_.find(s.substr(0, s.size() - 1));
    }
    if (it == symbol_ids_.end()) return MakeError(ErrorCode::kUnsupportedText, "phone '" + s + "' is not in this voice's symbols");
    ids.push_back(it->second);
  }
  return ids;
}

Result<GptSovitsText> GptSovitsModel::SentenceInput(const frontend::Segment& segment, std::string_view sentence) const {
  const auto opts = torch::TensorOptions().dtype(dtype_).device(device_);
  if (!HasCjk(sentence)) {
    auto ids = SentenceIds(segment, sentence);
    if (!ids) return std::unexpected(ids.error());
    const auto n = static_cast<int64_t>(ids->size());
    return GptSovitsText{std::move(*ids), torch::zeros({n, kGptSovitsBertDim}, opts)};
  }
  if (!vocab_) {
    return MakeError(ErrorCode::kUnsupportedText,
                     "this GPT-SoVITS voice has no Chinese BERT (bert_file and bert_vocab_file in its voice.json), so "
                     "it speaks English only: package it again with models/gpt-sovits/package.py, which keeps "
                     "bert_model.pt and vocab.txt");
  }
  struct Bert {
    size_t first;  // its first symbol
    ZhRun run;
  };
  std::vector<std::string> symbols;
  std::vector<Bert> berts;
  for (ScriptRun& r : SplitScripts(sentence)) {
    if (r.zh) {
      auto run = ReadZhRun(r.text);
      if (!run) return std::unexpected(run.error());
      if (run->symbols.empty()) continue;
      berts.push_back(Bert{symbols.size(), {}});
      symbols.insert(symbols.end(), run->symbols.begin(), run->symbols.end());
      berts.back().run = std::move(*run);
    } else {
      auto seg = frontend_->Phonemize(r.text);
      if (!seg) {
        if (seg.error().code == ErrorCode::kEmptyText) continue;
        return std::unexpected(seg.error());
      }
      auto en = EnglishSymbols(*seg, r.text, false);
      // A mark where the runs meet is one mark, as upstream's joined text.
      size_t skip = 0;
      auto is_mark = [](const std::string& m) { return m == "," || m == "." || m == "!" || m == "?" || m == "-"; };
      while (skip < en.size() && is_mark(en[skip]) && !symbols.empty() && is_mark(symbols.back())) ++skip;
      symbols.insert(symbols.end(), en.begin() + static_cast<std::ptrdiff_t>(skip), en.end());
    }
  }
  if (symbols.empty()) return MakeError(ErrorCode::kEmptyText, "nothing to say in '" + std::string(sentence) + "'");
  const std::string& back = symbols.back();
  if (back != "." && back != "?" && back != "!" && back != "\xE2\x80\xA6") {
    if (back == "," || back == "-") symbols.pop_back();  // the sentence's own end replaces an inner mark
    if (!berts.empty() && berts.back().first + berts.back().run.symbols.size() == symbols.size() + 1) {
      // The dropped mark was a Chinese run's: its character goes too.
      ZhRun& last = berts.back().run;
      last.symbols.pop_back();
      last.chars.pop_back();
      last.word2ph.pop_back();
    }
    const std::string end = EndMark(sentence);
    symbols.push_back(end);
    if (!berts.empty() && berts.back().first + berts.back().run.symbols.size() + 1 == symbols.size()) {
      ZhRun& last = berts.back().run;  // the end mark is the Chinese run's last character
      last.symbols.push_back(end);
      last.chars.push_back(end);
      last.word2ph.push_back(1);
    }
  }
  if (symbols.size() < 6) {  // upstream's rule for short text: "." ahead, read with the first run
    symbols.insert(symbols.begin(), ".");
    for (Bert& b : berts) b.first += 1;
    if (!berts.empty() && berts.front().first == 1) {
      ZhRun& first = berts.front().run;
      berts.front().first = 0;
      first.symbols.insert(first.symbols.begin(), ".");
      first.chars.insert(first.chars.begin(), ".");
      first.word2ph.insert(first.word2ph.begin(), 1);
    }
  }
  auto ids = SymbolIds(symbols);
  if (!ids) return std::unexpected(ids.error());
  c10::InferenceMode guard;
  auto bert = Guarded("Chinese BERT", [&] {
    torch::Tensor features = torch::zeros({static_cast<int64_t>(ids->size()), kGptSovitsBertDim}, opts);
    for (const Bert& b : berts) {
      const std::vector<int64_t> tokens = vocab_->Encode(b.run.chars);
      const auto n = static_cast<int64_t>(tokens.size());
      const auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(device_);
      torch::Tensor input_ids = torch::tensor(tokens, torch::kLong).view({1, n}).to(device_);
      torch::Tensor word2ph = torch::tensor(b.run.word2ph, torch::kInt).to(device_);
      torch::Tensor out = bert_.forward({input_ids, torch::ones({1, n}, long_opts), torch::zeros({1, n}, long_opts), word2ph})
                              .toTensor();
      features.narrow(0, static_cast<int64_t>(b.first), out.size(0)).copy_(out);
    }
    return features;
  });
  if (!bert) return std::unexpected(bert.error());
  return GptSovitsText{std::move(*ids), std::move(*bert)};
}

Result<GptSovitsReference> GptSovitsModel::Reference(std::span<const float> audio, int sample_rate,
                                                     std::string_view text, int64_t pad_16k) const {
  const double seconds = sample_rate > 0 ? static_cast<double>(audio.size()) / sample_rate : 0;
  if (seconds < kMinReferenceS || seconds > kMaxReferenceS) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "a GPT-SoVITS reference must last 3-10 s; this one lasts %.2f s", seconds);
    return MakeError(ErrorCode::kBadAudio, buf);
  }
  auto segment = frontend_->Phonemize(text);
  if (!segment) return std::unexpected(segment.error());
  auto input = SentenceInput(*segment, text);
  if (!input) return std::unexpected(input.error());
  c10::InferenceMode guard;
  return Guarded("reference", [&] {
    GptSovitsReference ref;
    torch::Tensor wav32 = To32k(audio, sample_rate);
    torch::Tensor wav16 = ssl_.get_method("resample")({wav32, kRate, kSslRate}).toTensor();
    if (pad_16k > 0) wav16 = torch::cat({wav16, torch::zeros({1, pad_16k}, wav16.options())}, 1);
    torch::Tensor ssl = ssl_.forward({wav16.to(torch::kFloat)}).toTensor().to(dtype_);
    ref.prompts = vits_.get_method("extract_latent")({ssl}).toTensor().to(torch::kLong);
    if (ref.prompts.dim() == 3) ref.prompts = ref.prompts.select(0, 0);  // [n_q, 1, P] in some exports
    auto handled = vits_.get_method("ref_handle")({wav32.to(dtype_)}).toTuple();
    ref.refer = handled->elements()[0].toTensor();
    ref.sv_emb = handled->elements()[1].toTensor();
    ref.ref_seq = torch::tensor(input->ids, torch::kLong).view({1, -1}).to(device_);
    ref.ref_bert = input->bert;
    return ref;
  });
}

torch::Tensor GptSovitsModel::To32k(std::span<const float> audio, int sample_rate) const {
  torch::Tensor wav = torch::from_blob(const_cast<float*>(audio.data()), {1, static_cast<int64_t>(audio.size())},
                                       torch::kFloat).to(device_);
  return sample_rate == kRate ? wav : ssl_.get_method("resample")({wav, sample_rate, kRate}).toTensor();
}

Result<TokenReference> GptSovitsModel::Prepare(std::span<const std::vector<float>> references, int sample_rate,
                                               std::string_view text) const {
  if (references.empty()) return MakeError(ErrorCode::kBadAudio, "no reference audio");
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return MakeError(ErrorCode::kEmptyText, "a GPT-SoVITS reference needs its transcript (what the first file says)");
  }
  auto first = Reference(references[0], sample_rate, text);
  if (!first) return std::unexpected(first.error());
  c10::InferenceMode guard;
  return Guarded("reference", [&] {
    std::vector<torch::Tensor> spectrograms{first->refer}, speakers{first->sv_emb.to(torch::kFloat)};
    double total = 0;
    for (const auto& r : references) total += static_cast<double>(r.size());
    for (size_t i = 1; i < references.size(); ++i) {
      auto handled = vits_.get_method("ref_handle")({To32k(references[i], sample_rate).to(dtype_)}).toTuple();
      spectrograms.push_back(handled->elements()[0].toTensor());
      speakers.push_back(handled->elements()[1].toTensor().to(torch::kFloat));
    }
    // Weights that sum to 1, so one reference keeps its embedding bit for bit.
    torch::Tensor speaker = speakers[0] * (static_cast<double>(references[0].size()) / total);
    for (size_t i = 1; i < references.size(); ++i) {
      speaker = speaker + speakers[i] * (static_cast<double>(references[i].size()) / total);
    }
    auto floats = [](const torch::Tensor& t) {
      torch::Tensor c = t.to(torch::kCPU, torch::kFloat).contiguous();
      return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    };
    auto ints = [](const torch::Tensor& t) {
      torch::Tensor c = t.to(torch::kCPU, torch::kLong).contiguous();
      return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
    };
    TokenReference out;
    out.text = std::string(text);
    out.phone_ids = ints(first->ref_seq);
    out.prompts = ints(first->prompts);
    torch::Tensor spectrogram = torch::cat(spectrograms, 2).select(0, 0);  // [bins, frames]
    out.spectrogram_bins = spectrogram.size(0);
    out.spectrogram = floats(spectrogram);
    out.speaker = floats(speaker);
    return out;
  });
}

Result<GptSovitsReference> GptSovitsModel::FromPrepared(const TokenReference& r) const {
  const GptSovitsReference& own = default_reference_;
  auto mismatch = [](const std::string& what) {
    return MakeError(ErrorCode::kBadRequest, "the reference does not fit this voice (made for another one?): " + what);
  };
  if (r.spectrogram_bins != own.refer.size(1) || r.spectrogram.empty() ||
      r.spectrogram.size() % static_cast<size_t>(r.spectrogram_bins) != 0) {
    return mismatch("its spectrogram has " + std::to_string(r.spectrogram_bins) + " bins; this voice's " +
                    std::to_string(own.refer.size(1)));
  }
  if (static_cast<int64_t>(r.speaker.size()) != own.sv_emb.numel()) {
    return mismatch("its speaker embedding has " + std::to_string(r.speaker.size()) + " numbers; this voice's " +
                    std::to_string(own.sv_emb.numel()));
  }
  const int64_t symbols = symbol_count_;
  if (r.phone_ids.empty() || std::any_of(r.phone_ids.begin(), r.phone_ids.end(),
                                         [&](int64_t id) { return id < 0 || id >= symbols; })) {
    return mismatch("its phone ids are not this voice's symbols");
  }
  if (r.prompts.empty() || std::any_of(r.prompts.begin(), r.prompts.end(),
                                       [](int64_t t) { return t < 0 || t >= kGptSovitsEos; })) {
    return mismatch("its semantic tokens are out of range");
  }
  // The transcript's BERT features, when its phones are still what this voice reads from it.
  torch::Tensor ref_bert;
  if (HasCjk(r.text)) {
    auto segment = frontend_->Phonemize(r.text);
    auto input = segment ? SentenceInput(*segment, r.text) : std::unexpected(segment.error());
    if (input && input->ids == r.phone_ids) ref_bert = input->bert;
  }
  c10::InferenceMode guard;
  return Guarded("reference", [&] {
    auto ints = [&](const std::vector<int64_t>& v) {
      return torch::tensor(v, torch::kLong).view({1, -1}).to(device_);
    };
    GptSovitsReference ref;
    ref.prompts = ints(r.prompts);
    ref.ref_seq = ints(r.phone_ids);
    ref.refer = torch::tensor(r.spectrogram, torch::kFloat)
                    .view({1, r.spectrogram_bins, r.spectrogram_frames()})
                    .to(device_, dtype_);
    ref.sv_emb = torch::tensor(r.speaker, torch::kFloat).view(own.sv_emb.sizes()).to(device_, dtype_);
    ref.ref_bert = ref_bert;
    return ref;
  });
}

TokenDecode GptSovitsModel::Prefill(const GptSovitsReference& ref, const torch::Tensor& text_seq,
                                    const torch::Tensor& bert) const {
  const auto opts = torch::TensorOptions().dtype(dtype_).device(device_);
  // Features that do not fit the phones (a reference whose ids were replaced) are zeros.
  const bool ref_fits = ref.ref_bert.defined() && ref.ref_bert.size(0) == ref.ref_seq.size(1);
  torch::Tensor ref_bert = ref_fits ? ref.ref_bert : torch::zeros({ref.ref_seq.size(1), kGptSovitsBertDim}, opts);
  const bool text_fits = bert.defined() && bert.size(0) == text_seq.size(1);
  torch::Tensor text_bert = text_fits ? bert : torch::zeros({text_seq.size(1), kGptSovitsBertDim}, opts);
  // (Copied out of the tuple: GCC 12 misreads indexing past its three inline slots.)
  const auto out =
      t2s_.get_method("prefill_logits")({ref.prompts, ref.ref_seq, text_seq, ref_bert, text_bert}).toTuple()->elements().vec();
  TokenDecode d;
  d.prompt_len = out.at(0).toInt();
  d.y = ref.prompts;
  d.logits = out.at(1).toTensor();
  d.k_cache = out.at(2);
  d.v_cache = out.at(3);
  return d;
}

void GptSovitsModel::Step(TokenDecode& d, const Sampling& sampling, TokenSampler& sampler) const {
  const int64_t n = d.generated();
  torch::Tensor logits = d.logits.to(torch::kFloat);
  const bool may_end = n >= kGptSovitsMinTokens;
  if (!may_end) logits = logits.narrow(1, 0, kGptSovitsEos);
  const TokenSampler::Draw draw = sampler.Next(logits, d.y, sampling, may_end ? kGptSovitsEos : -1);
  if (draw.likeliest_is || draw.token == kGptSovitsEos) {
    d.ended = true;
    return;
  }
  torch::Tensor token = torch::full({1, 1}, draw.token, torch::TensorOptions().dtype(torch::kLong).device(device_));
  d.y = torch::cat({d.y, token}, 1);
  const auto out =
      t2s_.get_method("step_logits")({token, d.prompt_len + n, d.k_cache, d.v_cache}).toTuple()->elements().vec();
  d.logits = out.at(0).toTensor();
  d.k_cache = out.at(1);
  d.v_cache = out.at(2);
}

torch::Tensor GptSovitsModel::Vocode(const TokenDecode& d, int64_t from, int64_t to, const torch::Tensor& text_seq,
                                     const GptSovitsReference& ref) const {
  torch::Tensor tokens = d.y.narrow(1, d.prompt_len + from, to - from).view({1, 1, -1});
  torch::Tensor audio = vits_.forward({tokens, text_seq, ref.refer, ref.sv_emb}).toTensor();
  return audio.to(torch::kCPU, torch::kFloat).contiguous().view({-1});
}

}  // namespace ttsd::engine
