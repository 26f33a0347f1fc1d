// The rules file decoder: TOML (toml++, which reports lines) into Rules, every key checked.
#include <cctype>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "ttsd/chat/chat-rules.h"

namespace ttsd::chat {
namespace {

// Thrown inside the decoder only, caught by ParseRules.
struct RulesError {
  uint32_t line = 0;
  std::string message;
};

[[noreturn]] void Fail(const toml::node& node, std::string message) {
  throw RulesError{static_cast<uint32_t>(node.source().begin.line), std::move(message)};
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string String(const toml::node& node, std::string_view key, size_t max_bytes = 500) {
  auto v = node.value<std::string>();
  if (!node.is_string() || !v) Fail(node, std::string(key) + " must be a string");
  if (v->size() > max_bytes) Fail(node, std::string(key) + " is longer than " + std::to_string(max_bytes) + " bytes");
  return *v;
}

int64_t Integer(const toml::node& node, std::string_view key, int64_t min, int64_t max) {
  if (!node.is_integer()) Fail(node, std::string(key) + " must be an integer");
  int64_t v = *node.value<int64_t>();
  if (v < min || v > max) {
    Fail(node, std::string(key) + " must be " + std::to_string(min) + ".." + std::to_string(max) + ", not " +
                   std::to_string(v));
  }
  return v;
}

double Number(const toml::node& node, std::string_view key, double min, double max) {
  if (!node.is_number()) Fail(node, std::string(key) + " must be a number");
  double v = *node.value<double>();
  if (!(v >= min && v <= max)) {
    Fail(node, std::string(key) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return v;
}

bool Bool(const toml::node& node, std::string_view key) {
  if (!node.is_boolean()) Fail(node, std::string(key) + " must be true or false");
  return *node.value<bool>();
}

std::vector<std::string> Strings(const toml::node& node, std::string_view key, size_t max_items = 10000) {
  const toml::array* a = node.as_array();
  if (!a) Fail(node, std::string(key) + " must be an array of strings");
  if (a->size() > max_items) Fail(node, std::string(key) + " has more than " + std::to_string(max_items) + " items");
  std::vector<std::string> out;
  for (const toml::node& item : *a) out.push_back(String(item, key));
  return out;
}

const toml::table& Table(const toml::node& node, std::string_view key) {
  const toml::table* t = node.as_table();
  if (!t) Fail(node, std::string(key) + " must be a table");
  return *t;
}

VoiceChoice Voice(const toml::node& node, std::string_view key) {
  VoiceChoice v;
  if (node.is_string()) {
    v.voice = String(node, key);
    return v;
  }
  for (auto&& [k, value] : Table(node, key)) {
    if (k == "voice") {
      v.voice = String(value, "voice");
    } else if (k == "speaker") {
      v.speaker = String(value, "speaker");
    } else {
      Fail(value, "unknown key \"" + std::string(k.str()) + "\" in " + std::string(key) + " (voice, speaker)");
    }
  }
  return v;
}

void Who(const toml::table& t, Rules* r) {
  for (auto&& [k, v] : t) {
    if (k == "allow") {
      r->allow.clear();
      for (std::string role : Strings(v, "who.allow")) {
        role = Lower(role);
        if (role != "everyone" && role != "subscribers" && role != "vips" && role != "moderators" &&
            role != "broadcaster") {
          Fail(v, "who.allow: unknown role \"" + role + "\" (everyone, subscribers, vips, moderators, broadcaster)");
        }
        r->allow.insert(role);
      }
    } else if (k == "min_bits") {
      r->min_bits = static_cast<uint32_t>(Integer(v, "who.min_bits", 0, 1'000'000));
    } else if (k == "rewards") {
      auto ids = Strings(v, "who.rewards");
      r->rewards = {ids.begin(), ids.end()};
    } else if (k == "command") {
      r->command = String(v, "who.command", 64);
      if (r->command.find(' ') != std::string::npos) Fail(v, "who.command must be one word, like \"!tts\"");
    } else if (k == "ignore_users") {
      for (auto& u : Strings(v, "who.ignore_users")) r->ignore_users.insert(Lower(u));
    } else {
      Fail(v, "unknown key \"" + std::string(k.str()) + "\" in [who]");
    }
  }
}

void Text(const toml::table& t, Rules* r) {
  for (auto&& [k, v] : t) {
    if (k == "links") {
      std::string a = String(v, "text.links");
      if (a == "keep") r->links = Rules::LinkAction::kKeep;
      else if (a == "drop") r->links = Rules::LinkAction::kDrop;
      else if (a == "replace") r->links = Rules::LinkAction::kReplace;
      else if (a == "skip") r->links = Rules::LinkAction::kSkip;
      else Fail(v, "text.links must be \"keep\", \"drop\", \"replace\" or \"skip\", not \"" + a + "\"");
    } else if (k == "link_replacement") {
      r->link_replacement = String(v, "text.link_replacement", 100);
    } else if (k == "skip_emote_only") {
      r->skip_emote_only = Bool(v, "text.skip_emote_only");
    } else if (k == "skip_commands") {
      r->skip_commands = Bool(v, "text.skip_commands");
    } else if (k == "max_repeat") {
      r->max_repeat = static_cast<uint32_t>(Integer(v, "text.max_repeat", 0, 100));
    } else if (k == "blocklist") {
      r->blocklist.clear();
      for (auto& w : Strings(v, "text.blocklist")) {
        if (w.empty() || w.find(' ') != std::string::npos) Fail(v, "text.blocklist: \"" + w + "\" is not one word");
        r->blocklist.push_back(Lower(w));
      }
    } else if (k == "blocked") {
      std::string a = String(v, "text.blocked");
      if (a == "skip") r->block_action = Rules::BlockAction::kSkip;
      else if (a == "bleep") r->block_action = Rules::BlockAction::kBleep;
      else Fail(v, "text.blocked must be \"skip\" or \"bleep\", not \"" + a + "\"");
    } else if (k == "bleep") {
      r->bleep = String(v, "text.bleep", 100);
    } else if (k == "max_chars") {
      r->max_chars = static_cast<uint32_t>(Integer(v, "text.max_chars", 0, 5000));
    } else if (k == "prefix") {
      r->prefix = String(v, "text.prefix", 200);
    } else {
      Fail(v, "unknown key \"" + std::string(k.str()) + "\" in [text]");
    }
  }
}

void Limits(const toml::table& t, Rules* r) {
  for (auto&& [k, v] : t) {
    if (k == "cooldown_s") {
      r->cooldown_s = Number(v, "limits.cooldown_s", 0, 86400);
    } else if (k == "max_pending") {
      r->max_pending = static_cast<uint32_t>(Integer(v, "limits.max_pending", 1, kMaxPendingLimit));
    } else {
      Fail(v, "unknown key \"" + std::string(k.str()) + "\" in [limits]");
    }
  }
}

void Voices(const toml::table& t, Rules* r) {
  for (auto&& [k, v] : t) {
    if (k == "default") {
      r->default_voice = Voice(v, "voices.default");
    } else if (k == "pool") {
      const toml::array* a = v.as_array();
      if (!a) Fail(v, "voices.pool must be an array of voices");
      if (a->size() > 1000) Fail(v, "voices.pool has more than 1000 voices");
      for (const toml::node& item : *a) r->pool.push_back(Voice(item, "voices.pool"));
    } else if (k == "users") {
      for (auto&& [user, choice] : Table(v, "voices.users")) {
        r->users[Lower(std::string(user.str()))] = Voice(choice, "voices.users." + std::string(user.str()));
      }
    } else {
      Fail(v, "unknown key \"" + std::string(k.str()) + "\" in [voices]");
    }
  }
}

Rules Decode(const toml::table& root) {
  Rules r;
  for (auto&& [k, v] : root) {
    if (k == "who") Who(Table(v, "[who]"), &r);
    else if (k == "text") Text(Table(v, "[text]"), &r);
    else if (k == "limits") Limits(Table(v, "[limits]"), &r);
    else if (k == "voices") Voices(Table(v, "[voices]"), &r);
    else if (k == "moderation") {
      for (auto&& [mk, mv] : Table(v, "[moderation]")) {
        if (mk == "commands") r.moderator_commands = Bool(mv, "moderation.commands");
        else Fail(mv, "unknown key \"" + std::string(mk.str()) + "\" in [moderation]");
      }
    } else {
      Fail(v, "unknown section or key \"" + std::string(k.str()) + "\" (who, text, limits, moderation, voices)");
    }
  }
  return r;
}

}  // namespace

Result<Rules> ParseRules(std::string_view text, const std::string& path) {
  if (text.size() > kMaxRulesFileBytes) {
    return MakeError(ErrorCode::kIo, path + ": larger than " + std::to_string(kMaxRulesFileBytes) + " bytes");
  }
  try {
    toml::table root = toml::parse(text, path);
    return Decode(root);
  } catch (const toml::parse_error& e) {
    return MakeError(ErrorCode::kBadRequest, path + ":" + std::to_string(e.source().begin.line) + ": " +
                                                 std::string(e.description()));
  } catch (const RulesError& e) {
    return MakeError(ErrorCode::kBadRequest, path + ":" + std::to_string(e.line) + ": " + e.message);
  }
}

Result<Rules> LoadRules(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read the rules file " + path);
  std::string text;
  text.resize(kMaxRulesFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return ParseRules(text, path);
}

}  // namespace ttsd::chat
