#include <algorithm>
#include <cctype>

#include "ttsd/chat/chat-rules.h"

namespace ttsd::chat {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Bytes in the UTF-8 sequence starting with lead byte c (1 for stray continuation bytes).
size_t SequenceBytes(unsigned char c) {
  if (c >= 0xF0 && c < 0xF8) return 4;
  if (c >= 0xE0) return c < 0xF0 ? 3 : 1;
  if (c >= 0xC0) return 2;
  return 1;
}

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// The word without punctuation around it, lower case ("Darn!" -> "darn").
std::string Bare(std::string_view word) {
  auto punct = [](char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; };
  while (!word.empty() && punct(word.front())) word.remove_prefix(1);
  while (!word.empty() && punct(word.back())) word.remove_suffix(1);
  return Lower(word);
}

bool HasRole(const Rules& rules, const TwitchEvent& m) {
  const auto& a = rules.allow;
  return a.contains("everyone") || (m.subscriber && a.contains("subscribers")) || (m.vip && a.contains("vips")) ||
         (m.moderator && a.contains("moderators")) || (m.broadcaster && a.contains("broadcaster")) ||
         (m.broadcaster && a.contains("moderators"));
}

Decision Ignore(std::string reason) {
  Decision d;
  d.kind = Decision::Kind::kIgnore;
  d.reason = std::move(reason);
  return d;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string_view ModActionName(ModAction a) {
  switch (a) {
    case ModAction::kNone: return "none";
    case ModAction::kSkip: return "skip";
    case ModAction::kClear: return "clear";
    case ModAction::kPause: return "pause";
    case ModAction::kResume: return "resume";
  }
  return "none";
}

bool IsLink(std::string_view word) {
  std::string w = Lower(word);
  while (!w.empty() && std::string_view("([<\"'").find(w.front()) != std::string_view::npos) w.erase(0, 1);
  while (!w.empty() && std::string_view(")]>\"'.,!?;:").find(w.back()) != std::string_view::npos) w.pop_back();
  if (w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.")) return true;
  // host.tld[/path]: labels of letters, digits and "-", a last label of 2+ letters.
  std::string_view host = std::string_view(w).substr(0, w.find('/'));
  size_t dot = host.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view tld = host.substr(dot + 1);
  if (tld.size() < 2 || !std::all_of(tld.begin(), tld.end(), [](char c) { return c >= 'a' && c <= 'z'; })) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  }) && host.find("..") == std::string_view::npos;
}

std::string CollapseRepeats(std::string_view text, uint32_t max_repeat) {
  if (max_repeat == 0) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::string_view previous;
  uint32_t run = 0;
  for (size_t i = 0; i < text.size();) {
    size_t n = std::min(SequenceBytes(static_cast<unsigned char>(text[i])), text.size() - i);
    std::string_view ch = text.substr(i, n);
    run = ch == previous ? run + 1 : 1;
    previous = ch;
    if (run <= max_repeat) out += ch;
    i += n;
  }
  return out;
}

std::string TruncateChars(std::string_view text, uint32_t max_chars) {
  if (max_chars == 0) return std::string(text);
  size_t bytes = 0, chars = 0;
  while (bytes < text.size() && chars < max_chars) {
    bytes += std::min(SequenceBytes(static_cast<unsigned char>(text[bytes])), text.size() - bytes);
    ++chars;
  }
  if (bytes >= text.size()) return std::string(text);
  std::string_view cut = text.substr(0, bytes);
  size_t space = cut.rfind(' ');
  if (space != std::string_view::npos && space >= bytes / 2) cut = cut.substr(0, space);
  return std::string(cut) + "...";
}

VoiceChoice PickVoice(const Rules& rules, std::string_view login, std::string_view user_id) {
  auto it = rules.users.find(Lower(login));
  if (it != rules.users.end()) return it->second;
  if (!rules.pool.empty()) {
    std::string_view key = user_id.empty() ? login : user_id;
    return rules.pool[Fnv1a(key) % rules.pool.size()];
  }
  return rules.default_voice;
}

Decision Decide(const Rules& rules, const TwitchEvent& m, std::optional<double> seconds_since_last) {
  if (m.kind != TwitchEvent::Kind::kMessage) return Ignore("not a chat message");
  if (rules.ignore_users.contains(Lower(m.login))) return Ignore("ignored user");

  std::string_view text = m.text;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (rules.moderator_commands && (m.moderator || m.broadcaster)) {
    std::string first = Lower(text.substr(0, text.find(' ')));
    ModAction a = first == "!skip" ? ModAction::kSkip : first == "!clear" ? ModAction::kClear
                  : first == "!ttspause" ? ModAction::kPause : first == "!ttsresume" ? ModAction::kResume
                  : ModAction::kNone;
    if (a != ModAction::kNone) {
      Decision d;
      d.kind = Decision::Kind::kModerate;
      d.action = a;
      return d;
    }
  }

  const bool cheer = rules.min_bits > 0 && m.bits >= rules.min_bits;
  const bool reward = !m.custom_reward_id.empty() && rules.rewards.contains(m.custom_reward_id);
  if (!cheer && !reward) {
    if (!HasRole(rules, m)) return Ignore("not allowed");
    if (!rules.command.empty()) {
      std::string head = Lower(text.substr(0, rules.command.size()));
      const bool whole = text.size() == rules.command.size() || text[rules.command.size()] == ' ';
      if (head != Lower(rules.command) || !whole) return Ignore("no command");
      text.remove_prefix(rules.command.size());
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    }
  }
  if (seconds_since_last && rules.cooldown_s > 0 && *seconds_since_last < rules.cooldown_s) return Ignore("cooldown");
  if (rules.skip_emote_only && m.emote_only) return Ignore("emote only");
  if (rules.skip_commands && text.starts_with('!')) return Ignore("command");

  std::string cleaned(text);
  for (char& c : cleaned) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';  // control characters (e.g. CTCP's \x01)
  }
  std::string collapsed = CollapseRepeats(cleaned, rules.max_repeat);
  std::string kept;
  for (std::string_view word : Words(collapsed)) {
    std::string piece(word);
    if (rules.links != Rules::LinkAction::kKeep && IsLink(word)) {
      if (rules.links == Rules::LinkAction::kSkip) return Ignore("link");
      if (rules.links == Rules::LinkAction::kDrop) continue;
      piece = rules.link_replacement;
    } else if (!rules.blocklist.empty()) {
      const std::string bare = Bare(word);
      if (std::find(rules.blocklist.begin(), rules.blocklist.end(), bare) != rules.blocklist.end()) {
        if (rules.block_action == Rules::BlockAction::kSkip) return Ignore("blocked word");
        piece = rules.bleep;
      }
    }
    if (piece.empty()) continue;
    if (!kept.empty()) kept += ' ';
    kept += piece;
  }
  if (kept.empty()) return Ignore("nothing left to read");
  kept = TruncateChars(kept, rules.max_chars);

  Decision d;
  d.kind = Decision::Kind::kSpeak;
  std::string prefix = rules.prefix;
  const size_t at = prefix.find("{name}");
  if (at != std::string::npos) prefix.replace(at, 6, m.display_name.empty() ? m.login : m.display_name);
  d.text = prefix + kept;
  d.voice = PickVoice(rules, m.login, m.user_id);
  return d;
}

}  // namespace ttsd::chat
