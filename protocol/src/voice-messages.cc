#include "ttsd/protocol/voice-messages.h"

#include <cctype>

#include "json-fields.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::protocol {
namespace {

using namespace json_fields;

Status CheckName(const std::string& name) {
  if (IsValidSavedVoiceName(name)) return {};
  return MakeError(ErrorCode::kBadRequest, "'name' must be 1-" + std::to_string(kMaxSavedVoiceNameBytes) +
                                               " characters of A-Z a-z 0-9 _ . - and not start with '.'");
}

}  // namespace

bool IsValidSavedVoiceName(std::string_view name) {
  if (name.empty() || name.size() > kMaxSavedVoiceNameBytes || name.front() == '.') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

Result<VoiceAdd> ParseVoiceAdd(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  VoiceAdd m;
  TTSD_TRY(GetString(*j, "name", &m.name));
  TTSD_TRY(GetString(*j, "voice", &m.voice));
  TTSD_TRY(GetU32(*j, "references", &m.references));
  TTSD_TRY(GetBool(*j, "replace", &m.replace));
  TTSD_TRY(GetString(*j, "reference_text", &m.reference_text));
  TTSD_TRY(CheckName(m.name));
  if (m.references < 1 || m.references > kMaxReferences) {
    return MakeError(ErrorCode::kBadRequest, "'references' must be 1 to " + std::to_string(kMaxReferences));
  }
  TTSD_TRY(CheckReferenceText(m.reference_text, m.references));
  return m;
}

Result<VoiceSaved> ParseVoiceSaved(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  VoiceSaved m;
  TTSD_TRY(GetString(*j, "name", &m.name));
  TTSD_TRY(GetString(*j, "voice", &m.voice));
  TTSD_TRY(GetU32(*j, "references", &m.references));
  TTSD_TRY(GetDouble(*j, "seconds", &m.seconds));
  return m;
}

Result<VoiceRemove> ParseVoiceRemove(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  VoiceRemove m;
  TTSD_TRY(GetString(*j, "name", &m.name));
  TTSD_TRY(CheckName(m.name));
  return m;
}

Result<VoiceRemoved> ParseVoiceRemoved(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  VoiceRemoved m;
  TTSD_TRY(GetString(*j, "name", &m.name));
  return m;
}

std::vector<uint8_t> Serialize(const VoiceAdd& m) {
  json j = {{"name", m.name}, {"references", m.references}};
  if (!m.voice.empty()) j["voice"] = m.voice;
  if (m.replace) j["replace"] = true;
  if (!m.reference_text.empty()) j["reference_text"] = m.reference_text;
  return Dump(j);
}

std::vector<uint8_t> Serialize(const VoiceSaved& m) {
  return Dump({{"name", m.name}, {"voice", m.voice}, {"references", m.references}, {"seconds", m.seconds}});
}

std::vector<uint8_t> Serialize(const VoiceRemove& m) { return Dump({{"name", m.name}}); }

std::vector<uint8_t> Serialize(const VoiceRemoved& m) { return Dump({{"name", m.name}}); }

}  // namespace ttsd::protocol
