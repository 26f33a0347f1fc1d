// The output channels' bodies (protocol/README.md, "Output channels"): listen, channel_control,
// channel_status, channel_event, done. Declared in messages.h.
#include <cctype>
#include <cmath>

#include <nlohmann/json.hpp>

#include "json-fields.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::protocol {
namespace {

using nlohmann::json;
using namespace json_fields;

constexpr ChannelEvent::Kind kEventKinds[] = {
    ChannelEvent::Kind::kStart,    ChannelEvent::Kind::kSentence, ChannelEvent::Kind::kWord,
    ChannelEvent::Kind::kEnd,      ChannelEvent::Kind::kQueued,   ChannelEvent::Kind::kStarted,
    ChannelEvent::Kind::kFinished, ChannelEvent::Kind::kRemoved,  ChannelEvent::Kind::kRefused,
    ChannelEvent::Kind::kPaused,   ChannelEvent::Kind::kResumed};

constexpr std::pair<ChannelControl::Action, const char*> kActions[] = {
    {ChannelControl::Action::kStatus, "status"}, {ChannelControl::Action::kSkip, "skip"},
    {ChannelControl::Action::kClear, "clear"},   {ChannelControl::Action::kRemove, "remove"},
    {ChannelControl::Action::kPause, "pause"},   {ChannelControl::Action::kResume, "resume"},
    {ChannelControl::Action::kVolume, "volume"}};

// Seconds to the millisecond (a number too large to round stays as it is).
double Ms(double s) {
  const double r = std::round(s * 1000) / 1000;
  return std::isfinite(r) ? r : s;
}

}  // namespace

bool IsValidChannelName(std::string_view name) {
  if (name.empty() || name.size() > kMaxChannelNameBytes) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

Result<ListenRequest> ParseListen(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  ListenRequest m;
  TTSD_TRY(GetString(*j, "channel", &m.channel));
  TTSD_TRY(GetFormat(*j, "sample_format", &m.sample_format));
  if (!IsValidChannelName(m.channel)) return BadChannelName();
  TTSD_TRY(GetBool(*j, "audio", &m.audio));
  TTSD_TRY(GetBool(*j, "events", &m.events));
  TTSD_TRY(GetBool(*j, "items", &m.items));
  if (!m.audio && !m.events && !m.items) {
    return MakeError(ErrorCode::kBadRequest, "a listen needs 'audio', 'events' or 'items'");
  }
  return m;
}

std::string_view ChannelEventName(ChannelEvent::Kind kind) {
  switch (kind) {
    case ChannelEvent::Kind::kStart: return "utterance_start";
    case ChannelEvent::Kind::kSentence: return "sentence";
    case ChannelEvent::Kind::kWord: return "word";
    case ChannelEvent::Kind::kEnd: return "utterance_end";
    case ChannelEvent::Kind::kQueued: return "queued";
    case ChannelEvent::Kind::kStarted: return "started";
    case ChannelEvent::Kind::kFinished: return "finished";
    case ChannelEvent::Kind::kRemoved: return "removed";
    case ChannelEvent::Kind::kRefused: return "refused";
    case ChannelEvent::Kind::kPaused: return "paused";
    case ChannelEvent::Kind::kResumed: return "resumed";
  }
  return "word";
}

bool IsItemEvent(ChannelEvent::Kind kind) { return kind >= ChannelEvent::Kind::kQueued; }

Result<ChannelEvent> ParseChannelEvent(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  ChannelEvent m;
  std::string type;
  TTSD_TRY(GetString(*j, "type", &type));
  bool known = false;
  for (auto kind : kEventKinds) {
    if (type == ChannelEventName(kind)) m.kind = kind, known = true;
  }
  if (!known) return MakeError(ErrorCode::kMalformedFrame, "unknown channel event '" + type + "'");
  TTSD_TRY(GetU64(*j, "id", &m.utterance));
  TTSD_TRY(GetString(*j, "text", &m.text));
  TTSD_TRY(GetU64(*j, "text_begin", &m.text_begin));
  TTSD_TRY(GetU64(*j, "text_end", &m.text_end));
  TTSD_TRY(GetDouble(*j, "start_s", &m.start_s));
  TTSD_TRY(GetDouble(*j, "end_s", &m.end_s));
  TTSD_TRY(GetString(*j, "reason", &m.reason));
  TTSD_TRY(GetDouble(*j, "played_s", &m.played_s));
  TTSD_TRY(GetString(*j, "author", &m.author));
  TTSD_TRY(GetString(*j, "source", &m.source));
  TTSD_TRY(GetString(*j, "voice", &m.voice));
  TTSD_TRY(GetString(*j, "speaker", &m.speaker));
  return m;
}

Result<ChannelControl> ParseChannelControl(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  ChannelControl m;
  std::string action = "status";
  TTSD_TRY(GetString(*j, "channel", &m.channel));
  TTSD_TRY(GetString(*j, "action", &action));
  if (!IsValidChannelName(m.channel)) return BadChannelName();
  bool known = false;
  for (const auto& [a, name] : kActions) {
    if (action == name) m.action = a, known = true;
  }
  if (!known) {
    return MakeError(ErrorCode::kBadRequest, "'action' must be status, skip, clear, remove, pause, resume or volume");
  }
  TTSD_TRY(GetU64(*j, "item", &m.item));
  if (m.action == ChannelControl::Action::kRemove && m.item == 0) {
    return MakeError(ErrorCode::kBadRequest, "'remove' needs the 'item' to remove (its id, from status or events)");
  }
  if (m.action == ChannelControl::Action::kVolume) {
    if (!j->contains("gain")) return MakeError(ErrorCode::kBadRequest, "'volume' needs a 'gain'");
    TTSD_TRY(GetDouble(*j, "gain", &m.gain));
    if (!std::isfinite(m.gain) || m.gain < 0 || m.gain > kMaxChannelGain) {
      return MakeError(ErrorCode::kBadRequest,
                       "'gain' must be 0 to " + LimitText(kMaxChannelGain) + " (linear; 1: unchanged)");
    }
  }
  return m;
}

Result<Done> ParseDone(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  Done m;
  TTSD_TRY(GetDouble(*j, "audio_s", &m.audio_s));
  return m;
}

Result<ChannelStatus> ParseChannelStatus(std::span<const uint8_t> payload) {
  auto j = ParseObject(payload);
  if (!j) return std::unexpected(j.error());
  ChannelStatus m;
  TTSD_TRY(GetString(*j, "channel", &m.channel));
  TTSD_TRY(GetU32(*j, "listeners", &m.listeners));
  TTSD_TRY(GetBool(*j, "playing", &m.playing));
  auto entry = [](const json& e, ChannelEntry* out) -> Status {
    if (!e.is_object()) return MakeError(ErrorCode::kMalformedFrame, "channel entries must be objects");
    auto id = e.find("id");
    if (id != e.end() && id->is_number_unsigned()) out->id = id->get<uint64_t>();
    TTSD_TRY(GetString(e, "text", &out->text));
    TTSD_TRY(GetDouble(e, "played_s", &out->played_s));
    TTSD_TRY(GetBool(e, "text_cut", &out->text_cut));
    TTSD_TRY(GetString(e, "author", &out->author));
    TTSD_TRY(GetString(e, "source", &out->source));
    TTSD_TRY(GetString(e, "voice", &out->voice));
    TTSD_TRY(GetString(e, "speaker", &out->speaker));
    TTSD_TRY(GetDouble(e, "length_s", &out->length_s));
    return {};
  };
  if (auto it = j->find("current"); it != j->end() && !it->is_null()) TTSD_TRY(entry(*it, &m.current));
  if (auto it = j->find("queue"); it != j->end() && it->is_array()) {
    for (const auto& e : *it) {
      ChannelEntry ce;
      TTSD_TRY(entry(e, &ce));
      m.queue.push_back(std::move(ce));
    }
  }
  if (auto it = j->find("underruns"); it != j->end() && it->is_number_unsigned()) m.underruns = it->get<uint64_t>();
  TTSD_TRY(GetBool(*j, "paused", &m.paused));
  TTSD_TRY(GetDouble(*j, "gain", &m.gain));
  TTSD_TRY(GetDouble(*j, "queued_s", &m.queued_s));
  TTSD_TRY(GetU32(*j, "max_queue", &m.max_queue));
  TTSD_TRY(GetDouble(*j, "max_queued_s", &m.max_queued_s));
  return m;
}

std::vector<uint8_t> Serialize(const ListenRequest& m) {
  json j = {{"channel", m.channel}, {"sample_format", SampleFormatName(m.sample_format)}};
  if (!m.audio) j["audio"] = false;
  if (m.events) j["events"] = true;
  if (m.items) j["items"] = true;
  return Dump(j);
}

// Text is cut at kChannelItemTextBytes by the daemon at a character boundary; Dump replaces any
// invalid UTF-8 rather than throwing.
std::vector<uint8_t> Serialize(const ChannelEvent& m) {
  json j = {{"type", ChannelEventName(m.kind)}, {"id", m.utterance}};
  auto item = [&] {
    j["text"] = m.text;
    j["author"] = m.author;
    j["source"] = m.source;
    j["voice"] = m.voice;
    j["speaker"] = m.speaker;
  };
  switch (m.kind) {
    case ChannelEvent::Kind::kStart: j["text"] = m.text; break;
    case ChannelEvent::Kind::kSentence:
    case ChannelEvent::Kind::kWord:
      j["text"] = m.text;
      j["text_begin"] = m.text_begin;
      j["text_end"] = m.text_end;
      j["start_s"] = Ms(m.start_s);
      j["end_s"] = Ms(m.end_s);
      break;
    case ChannelEvent::Kind::kEnd:
      j["reason"] = m.reason;
      j["played_s"] = Ms(m.played_s);
      break;
    case ChannelEvent::Kind::kQueued:
    case ChannelEvent::Kind::kStarted: item(); break;
    case ChannelEvent::Kind::kFinished:
      item();
      j["played_s"] = Ms(m.played_s);
      break;
    case ChannelEvent::Kind::kRemoved:
      item();
      j["reason"] = m.reason;
      j["played_s"] = Ms(m.played_s);
      break;
    case ChannelEvent::Kind::kRefused:
      item();
      j["reason"] = m.reason;
      break;
    case ChannelEvent::Kind::kPaused:
    case ChannelEvent::Kind::kResumed: break;
  }
  return Dump(j);
}

std::vector<uint8_t> Serialize(const ChannelControl& m) {
  const char* action = "status";
  for (const auto& [a, name] : kActions) {
    if (m.action == a) action = name;
  }
  json j = {{"channel", m.channel}, {"action", action}};
  if (m.item != 0) j["item"] = m.item;
  if (m.action == ChannelControl::Action::kVolume) j["gain"] = m.gain;
  return Dump(j);
}

std::vector<uint8_t> Serialize(const Done& m) { return Dump({{"audio_s", m.audio_s}}); }

std::vector<uint8_t> Serialize(const ChannelStatus& m) {
  auto entry = [](const ChannelEntry& e) {
    json j = {{"id", e.id},
              {"text", e.text},
              {"played_s", e.played_s},
              {"text_cut", e.text_cut},
              {"author", e.author},
              {"source", e.source},
              {"voice", e.voice},
              {"speaker", e.speaker},
              {"length_s", Ms(e.length_s)}};
    return j;
  };
  json queue = json::array();
  for (const auto& e : m.queue) queue.push_back(entry(e));
  return Dump({{"channel", m.channel},
               {"listeners", m.listeners},
               {"playing", m.playing},
               {"current", m.playing ? entry(m.current) : json(nullptr)},
               {"queue", queue},
               {"underruns", m.underruns},
               {"paused", m.paused},
               {"gain", m.gain},
               {"queued_s", Ms(m.queued_s)},
               {"max_queue", m.max_queue},
               {"max_queued_s", m.max_queued_s}});
}

}  // namespace ttsd::protocol
