#include "ttsd/daemon/wyoming-voices.h"

#include <algorithm>
#include <cctype>

namespace ttsd::daemon {
namespace {

using nlohmann::json;

json Attribution() { return {{"name", "ttsd"}, {"url", ""}}; }

// Home Assistant lists a voice by its description: the name and the first clause of the manifest's.
std::string ShortDescription(const std::string& name, const std::string& description) {
  size_t cut = description.size();
  for (const char* sep : {": ", "; ", ". "}) cut = std::min(cut, description.find(sep));
  std::string s = description.substr(0, cut);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s.empty() ? name : name + " (" + s + ")";
}

std::string NormalizeLanguage(std::string_view tag) {
  std::string s(tag);
  for (char& c : s) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "en" matches "en-us" and the other way round; "en-gb" does not match "en-us".
bool LanguageMatches(const std::string& wanted, const std::vector<std::string>& languages) {
  const std::string w = NormalizeLanguage(wanted);
  for (const auto& l : languages) {
    const std::string n = NormalizeLanguage(l);
    if (n == w || n.starts_with(w + "-") || w.starts_with(n + "-")) return true;
  }
  return false;
}

// Saved voices served: base package loaded, no package of the same name.
bool Served(const SessionContext& context, const SavedVoice& saved) {
  return context.voices->Find(saved.voice) && !context.voices->Find(saved.name);
}

Result<std::string> StringField(const json& voice, const char* key) {
  auto it = voice.find(key);
  if (it == voice.end() || it->is_null()) return std::string();
  if (!it->is_string()) return MakeError(ErrorCode::kBadRequest, std::string("voice '") + key + "' is not a string");
  return it->get<std::string>();
}

}  // namespace

json WyomingInfo(const SessionContext& context) {
  json voices = json::array();
  const protocol::VoiceList list = context.voices->Describe();
  for (const auto& v : list.voices) {
    json speakers = json::array();
    for (const auto& s : v.speakers) speakers.push_back({{"name", s}});
    voices.push_back({{"name", v.name},
                      {"attribution", Attribution()},
                      {"installed", true},
                      {"description", ShortDescription(v.name, v.description)},
                      {"version", nullptr},
                      {"languages", v.languages},
                      {"speakers", speakers}});
  }
  if (context.store) {
    for (const auto& saved : context.store->List()) {
      if (!Served(context, *saved)) continue;
      auto base = context.voices->Find(saved->voice);
      voices.push_back({{"name", saved->name},
                        {"attribution", Attribution()},
                        {"installed", true},
                        {"description", saved->name + " (cloned, " + saved->voice + ")"},
                        {"version", nullptr},
                        {"languages", (*base)->manifest().languages},
                        {"speakers", nullptr}});
    }
  }
  json program = {{"name", "ttsd"},
                  {"attribution", Attribution()},
                  {"installed", true},
                  {"description", "ttsd streaming text-to-speech"},
                  {"version", TTSD_VERSION},
                  {"voices", voices},
                  {"supports_synthesize_streaming", true}};
  return {{"asr", json::array()},    {"tts", json::array({program})}, {"handle", json::array()},
          {"intent", json::array()}, {"wake", json::array()},         {"mic", json::array()},
          {"snd", json::array()}};
}

Result<WyomingVoiceChoice> ResolveWyomingVoice(const SessionContext& context, const json& voice) {
  if (!voice.is_null() && !voice.is_object()) return MakeError(ErrorCode::kBadRequest, "'voice' is not an object");
  const json empty = json::object();
  const json& v = voice.is_object() ? voice : empty;
  auto name = StringField(v, "name");
  if (!name) return std::unexpected(name.error());
  auto language = StringField(v, "language");
  if (!language) return std::unexpected(language.error());
  auto speaker = StringField(v, "speaker");
  if (!speaker) return std::unexpected(speaker.error());

  WyomingVoiceChoice choice;
  choice.speaker = *speaker;
  if (name->empty() && !language->empty()) {
    const protocol::VoiceList list = context.voices->Describe();
    auto by_name = [&](const std::string& n) {
      return std::find_if(list.voices.begin(), list.voices.end(), [&](const auto& d) { return d.name == n; });
    };
    if (auto d = by_name(list.default_voice); d != list.voices.end() && LanguageMatches(*language, d->languages)) {
      *name = d->name;
    } else {
      auto it = std::find_if(list.voices.begin(), list.voices.end(),
                             [&](const auto& d) { return LanguageMatches(*language, d.languages); });
      if (it == list.voices.end()) return MakeError(ErrorCode::kUnknownVoice, "no voice speaks '" + *language + "'");
      *name = it->name;
    }
  }
  if (auto package = context.voices->Find(*name)) {
    choice.voice = ResolvedVoice{*package, (*package)->name(), nullptr};
    return choice;
  }
  auto saved = context.store ? context.store->Find(*name) : nullptr;
  if (!saved || !Served(context, *saved)) return MakeError(ErrorCode::kUnknownVoice, "no voice named '" + *name + "'");
  if (!choice.speaker.empty()) {
    return MakeError(ErrorCode::kBadRequest, "saved voice '" + *name + "' has no speakers to pick; drop 'speaker'");
  }
  auto base = context.voices->Find(saved->voice);
  if (auto s = CheckSavedVoice(*saved, **base); !s) return std::unexpected(s.error());
  choice.voice = ResolvedVoice{*base, saved->name, saved};
  return choice;
}

}  // namespace ttsd::daemon
