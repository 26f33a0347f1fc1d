#include "ttsd/frontend/ssml.h"

#include <libxml/parser.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <mutex>
#include <optional>
#include <utility>

#include "markup.h"
#include "phone-notation.h"
#include "ssml-values.h"
#include "ttsd/frontend/inline-tags.h"

// How the reader keeps its place: libxml2 checks the document and reports elements in order, but
// what it hands over (names, attribute values) says nothing of where it stood. So the reader walks
// the same bytes itself (doc, pos): at each element that libxml2 reports, the bytes from pos to that
// tag's '<' can only be content (text, references, comments, CDATA), and the tag ends at its first
// '>' outside quotes. Text is read from the bytes, not from libxml2, as soon as each character is
// whole: libxml2 would hold it back until the next '<', a paragraph's worth of streamed speech.
namespace ttsd::frontend {
namespace {

using ssml_values::BreakTime;
using ssml_values::Compact;
using ssml_values::Find;
using ssml_values::IsVoiceName;
using ssml_values::IsXmlSpace;
using ssml_values::kDateFormats;
using ssml_values::kEmphases;
using ssml_values::kNone;
using ssml_values::kStrengths;
using ssml_values::Label;
using ssml_values::Lower;
using ssml_values::Pitch;
using ssml_values::Rate;
using ssml_values::SayAs;
using ssml_values::SignedCompact;
using ssml_values::Trim;
using ssml_values::Volume;

constexpr std::string_view kSsmlNamespace = "http://www.w3.org/2001/10/synthesis";
constexpr size_t kMaxQuotedBytes = 64;  // of a name or value quoted in an error message
constexpr int kMediumPauseMs = 400;

// Length of the UTF-8 sequence that `c` leads; 0 for a byte that leads none.
size_t Utf8Length(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b < 0x80) return 1;
  if (b < 0xC2) return 0;
  if (b < 0xE0) return 2;
  if (b < 0xF0) return 3;
  return b < 0xF5 ? 4 : 0;
}

// The valid UTF-8 sequence at s[i]: its length, 0 if invalid, kNone if s ends inside it.
size_t Utf8At(std::string_view s, size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  const size_t len = Utf8Length(s[i]);
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) return kNone;
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    if (k == 1 && ((lead == 0xE0 && b < 0xA0) || (lead == 0xED && b >= 0xA0) || (lead == 0xF0 && b < 0x90) ||
                   (lead == 0xF4 && b >= 0x90))) {
      return 0;  // overlong, a surrogate, or past U+10FFFF
    }
  }
  return len;
}

// One whole UTF-8 character that XML allows in text (whitespace aside): no C0 control, no U+FFFE or U+FFFF.
bool IsXmlChar(std::string_view c) {
  if (c.size() == 1) return static_cast<unsigned char>(c[0]) >= 0x20;
  return c != "\xEF\xBF\xBE" && c != "\xEF\xBF\xBF";
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A name or value for an error message: at most kMaxQuotedBytes, cut between characters.
std::string Clip(std::string_view s) {
  if (s.size() <= kMaxQuotedBytes) return std::string(s);
  size_t cut = kMaxQuotedBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

// The reference at s[0] ('&'): its length and what it stands for; 0 if it is none (or not whole).
size_t Reference(std::string_view s, std::string* decoded) {
  const size_t semi = s.substr(0, 40).find(';');
  if (semi == kNone || semi < 2) return 0;
  const std::string_view name = s.substr(1, semi - 1);
  static constexpr std::array<Label<char>, 5> kPredefined = {
      {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}}};
  if (auto c = Find(kPredefined, name)) {
    *decoded = std::string(1, *c);
    return semi + 1;
  }
  if (name[0] != '#') return 0;
  const bool hex = name.size() > 1 && name[1] == 'x';
  const std::string_view digits = name.substr(hex ? 2 : 1);
  uint32_t cp = 0;
  if (digits.empty() || std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10).ptr !=
                            digits.data() + digits.size()) {
    return 0;
  }
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  decoded->clear();
  AppendUtf8(*decoded, cp);
  return semi + 1;
}

double Clamp(double v, double lo, double hi) { return std::isnan(v) ? lo : std::clamp(v, lo, hi); }

enum class Element : uint8_t {
  kSpeak,
  kParagraph,
  kSentence,
  kBreak,
  kProsody,
  kEmphasis,
  kSayAs,
  kSub,
  kPhoneme,
  kVoice,
  kMark,
  kLang,
  kAudio,
  kDropped,
  kIgnored
};
// What becomes of an element's text: said, kept for the element to read at its end, or dropped.
enum class Content : uint8_t { kSpoken, kCaptured, kDropped };

constexpr std::array<Label<Element>, 19> kElements = {{
    {"speak", Element::kSpeak},     {"p", Element::kParagraph},       {"paragraph", Element::kParagraph},
    {"s", Element::kSentence},      {"sentence", Element::kSentence}, {"break", Element::kBreak},
    {"prosody", Element::kProsody}, {"emphasis", Element::kEmphasis}, {"say-as", Element::kSayAs},
    {"sub", Element::kSub},         {"phoneme", Element::kPhoneme},   {"voice", Element::kVoice},
    {"mark", Element::kMark},       {"lang", Element::kLang},         {"audio", Element::kAudio},
    {"lexicon", Element::kDropped}, {"meta", Element::kDropped},      {"metadata", Element::kDropped},
    {"desc", Element::kDropped},
}};

// One open element.
struct Frame {
  Element element = Element::kIgnored;
  Content content = Content::kSpoken;
  uint32_t begin = 0;                         // its start tag's '<'
  std::string name;                           // as written, for messages
  std::optional<double> rate, volume, pitch;  // the values in force before it, to restore at its end
  std::optional<std::string> voice;
  int pause_ms = 0;
  std::string arg;     // say-as: interpret-as; sub: the alias; phoneme: the phones
  std::string format;  // say-as
  std::string text;    // say-as: its content
  std::vector<SourceSpan> text_spans;
};

// The attributes libxml2 reports: (localname, prefix, URI, value, value end) per attribute.
struct Attributes {
  int count = 0;
  const xmlChar** values = nullptr;

  // An unprefixed attribute's value.
  std::optional<std::string> Get(std::string_view name) const {
    for (int i = 0; i < count; ++i) {
      const xmlChar** a = values + 5 * i;
      if (a[2] != nullptr || name != reinterpret_cast<const char*>(a[0])) continue;
      std::string v(reinterpret_cast<const char*>(a[3]), reinterpret_cast<const char*>(a[4]));
      // libxml2 (2.9) leaves an '&' written as &amp; or &#38; as "&#38;" when it substitutes no entities.
      for (size_t at = v.find("&#38;"); at != kNone; at = v.find("&#38;", at + 1)) v.replace(at, 5, "&");
      return v;
    }
    return std::nullopt;
  }
};

}  // namespace

struct SsmlReader::Impl {
  xmlParserCtxtPtr ctxt = nullptr;
  std::string doc;     // every byte fed so far
  size_t checked = 0;  // doc[0, checked) is valid UTF-8 without NUL
  size_t pos = 0;      // doc[0, pos) converted or passed over
  bool in_cdata = false;
  bool space = false;  // a whitespace run [space_begin, space_end) waits to become one space
  uint32_t space_begin = 0, space_end = 0;
  std::optional<SourceSpan> empty_tag;  // <x/> just started: its end has no tag of its own
  std::vector<Frame> stack;
  bool root_seen = false, root_closed = false, terminating = false, closed = false;
  bool lost = false;  // the bytes did not hold what libxml2 reported (LostPlace)
  double rate = 1, volume = 1, pitch = 0;
  std::string voice;   // empty: the request's own
  bool wrote = false;  // anything written to out, and its last two bytes
  char last = 0, before_last = 0;
  std::optional<Error> error;
  std::string* out = nullptr;  // the current call's, not owned
  std::vector<SourceSpan>* spans = nullptr;
  size_t out_size = 0, spans_size = 0;

  // --- errors ---

  void SetError(int line, int column, const std::string& what) {
    if (error) return;
    error = Error{ErrorCode::kBadRequest,
                  "SSML line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what};
    if (ctxt != nullptr) xmlStopParser(ctxt);
  }

  // An error at doc[offset]; the column counts characters.
  void Fail(size_t offset, const std::string& what) {
    offset = std::min(offset, doc.size());
    int line = 1, column = 1;
    for (size_t i = 0; i < offset; ++i) {
      if (doc[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(doc[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    SetError(line, column, what);
  }

  void Internal(const std::string& what) {
    if (error) return;
    error = Error{ErrorCode::kInternal, "SSML reader: " + what};
    if (ctxt != nullptr) xmlStopParser(ctxt);
  }

  // The bytes do not hold what libxml2 reported: libxml2 reports a start tag before it checks
  // its end, and refuses it right after (a control character in it, the document cut inside
  // it). Events are ignored from here; Parse says what went wrong when libxml2 does not.
  bool LostPlace() {
    lost = true;
    return false;
  }

  std::string NotClosed() const {
    if (stack.size() <= 1) return "<speak> is not closed";
    return "<speak> is not closed (the document ends inside <" + stack.back().name + ">)";
  }

  void OnXmlError(const xmlError& e) {
    if (e.level < XML_ERR_ERROR || error) return;
    if (terminating && !root_seen) return Fail(doc.size(), "the document has no <speak> element");
    if (terminating && !root_closed) return Fail(doc.size(), NotClosed());
    std::string message = e.message != nullptr ? e.message : "error " + std::to_string(e.code);
    while (!message.empty() && IsXmlSpace(message.back())) message.pop_back();
    std::string what = "malformed XML: " + message;
    if (e.code == XML_ERR_DOCUMENT_END && root_closed) {
      what = "nothing but comments may follow </speak> (text or a second root element found)";
    } else if (e.code == XML_ERR_DOCUMENT_EMPTY && !root_seen) {
      what = "text outside <speak> (the document must begin with <speak>)";
    } else if (e.code == XML_ERR_UNDECLARED_ENTITY || e.code == XML_WAR_UNDECLARED_ENTITY) {
      what = "entity &" + Clip(e.str1 != nullptr ? e.str1 : "") +
             "; is not defined (only &amp; &lt; &gt; &quot; &apos; and character references are)";
    }
    SetError(e.line, std::max(e.int2, 1), what);
  }

  // --- output ---

  void Track(std::string_view text) {
    wrote = true;
    before_last = text.size() >= 2 ? text[text.size() - 2] : last;
    last = text.back();
  }

  // Generated text, every byte mapped to `span`.
  void Write(std::string_view text, SourceSpan span) {
    if (text.empty()) return;
    out->append(text);
    spans->insert(spans->end(), text.size(), span);
    Track(text);
  }

  // Text from doc[begin, end) to where the open element's text goes; per_byte: byte k of text is
  // doc[begin + k], else every byte maps to the whole range.
  void Put(std::string_view text, size_t begin, size_t end, bool per_byte) {
    if (stack.empty() || text.empty()) return;
    Frame& top = stack.back();
    if (top.content == Content::kDropped) return;
    std::string& to = top.content == Content::kSpoken ? *out : top.text;
    std::vector<SourceSpan>& to_spans = top.content == Content::kSpoken ? *spans : top.text_spans;
    to.append(text);
    for (size_t k = 0; k < text.size(); ++k) {
      to_spans.push_back(per_byte ? SourceSpan{static_cast<uint32_t>(begin + k), static_cast<uint32_t>(begin + k + 1)}
                                  : SourceSpan{static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
    }
    if (top.content == Content::kSpoken) Track(text);
  }

  void AddSpace(size_t begin, size_t end) {
    if (!space) space_begin = static_cast<uint32_t>(begin);
    space = true;
    space_end = static_cast<uint32_t>(end);
  }

  // A whitespace run ended: one space, unless at the start or after a space or newline.
  void FlushSpace() {
    if (!space) return;
    space = false;
    if (stack.empty()) return;
    const Frame& top = stack.back();
    const bool spoken = top.content == Content::kSpoken;
    const bool after_space =
        spoken ? !wrote || last == ' ' || last == '\n' : top.text.empty() || top.text.back() == ' ';
    if (!after_space) Put(" ", space_begin, space_end, false);
  }

  // Ends a sentence: "\n\n" unless nothing was said or it is there already.
  void Separator(SourceSpan span) {
    if (wrote && !(last == '\n' && before_last == '\n')) Write("\n\n", span);
  }

  // --- walking the document ---

  // Converts content from pos up to the next tag, as far as the bytes here are whole: text goes
  // out as it arrives (libxml2 reports text only once it sees the next '<'). A character libxml2
  // refuses stops it there, and libxml2's error follows. Returns the offset of the tag's '<',
  // kNone where it stopped before one. Called when libxml2 reports a tag (then all the content
  // before it is here and well-formed) and after each piece libxml2 took.
  size_t ScanContent() {
    const std::string_view d = doc;
    constexpr std::string_view kCdataEnd = "]]>";
    while (pos < d.size()) {
      const std::string_view rest = d.substr(pos);
      const char c = rest[0];
      if (in_cdata) {
        if (rest.starts_with(kCdataEnd)) {
          pos += 3;
          in_cdata = false;
          continue;
        }
        if (rest.size() < 3 && kCdataEnd.starts_with(rest)) return kNone;
      } else if (c == '<') {
        if (rest.starts_with("<!--")) {
          const size_t end = d.find("-->", pos + 4);
          if (end == kNone) return kNone;
          pos = end + 3;
          continue;
        }
        if (rest.starts_with("<![CDATA[")) {
          pos += 9;
          in_cdata = true;
          continue;
        }
        if (rest.starts_with("<?")) {  // only the XML declaration: PiCb refuses the others
          if (root_seen || rest.size() < 6 || !rest.starts_with("<?xml") || !IsXmlSpace(rest[5])) return kNone;
          const size_t end = d.find("?>", pos + 2);
          if (end == kNone) return kNone;
          pos = end + 2;
          continue;
        }
        if (rest.size() < 2 || rest[1] == '!') return kNone;  // more to come (a DOCTYPE never gets here)
        FlushSpace();
        return pos;
      } else if (c == '&') {
        std::string decoded;
        const size_t len = Reference(rest, &decoded);
        if (len == 0) return kNone;
        FlushSpace();
        Put(decoded, pos, pos + len, false);
        pos += len;
        continue;
      } else if (c == ']' && (rest.starts_with(kCdataEnd) || kCdataEnd.starts_with(rest))) {
        return kNone;  // "]]>" may not stand in text
      }
      if (IsXmlSpace(c)) {
        AddSpace(pos, pos + 1);
        ++pos;
        continue;
      }
      const size_t len = Utf8Length(c);
      if (len == 0 || len > rest.size() || !IsXmlChar(rest.substr(0, len))) return kNone;
      FlushSpace();
      Put(rest.substr(0, len), pos, pos + len, true);
      pos += len;
    }
    return kNone;
  }

  // Passes over the content before the tag libxml2 just reported, and the tag.
  bool ConsumeTag(bool end_tag, SourceSpan* tag, bool* empty) {
    const size_t lt = ScanContent();
    if (lt == kNone || lt + 1 >= doc.size() || (doc[lt + 1] == '/') != end_tag) return LostPlace();
    char quote = 0;
    size_t gt = lt + 1;
    for (; gt < doc.size(); ++gt) {
      const char c = doc[gt];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    if (gt == doc.size()) return LostPlace();
    pos = gt + 1;
    *tag = {static_cast<uint32_t>(lt), static_cast<uint32_t>(gt + 1)};
    *empty = !end_tag && doc[gt - 1] == '/';
    return true;
  }

  // --- elements ---

  void Change(std::optional<double>& saved, double& current, double value, std::string_view key, bool sign,
              SourceSpan at) {
    const std::string now = sign ? SignedCompact(current) : Compact(current);
    const std::string next = sign ? SignedCompact(value) : Compact(value);
    if (next == now) return;
    if (!saved) saved = current;
    current = value;
    Write("[" + std::string(key) + ":" + next + "]", at);
  }
  void SetRate(Frame& f, double v, SourceSpan at) {
    Change(f.rate, rate, Clamp(v, kMinRate, kMaxRate), "rate", false, at);
  }
  void SetVolume(Frame& f, double v, SourceSpan at) {
    Change(f.volume, volume, Clamp(v, 0, kMaxVolume), "volume", false, at);
  }
  void SetPitch(Frame& f, double v, SourceSpan at) {
    Change(f.pitch, pitch, Clamp(v, -kMaxPitch, kMaxPitch), "pitch", true, at);
  }

  void Restore(const Frame& f, SourceSpan at) {
    if (f.rate) Write("[rate:" + Compact(rate = *f.rate) + "]", at);
    if (f.volume) Write("[volume:" + Compact(volume = *f.volume) + "]", at);
    if (f.pitch) Write("[pitch:" + SignedCompact(pitch = *f.pitch) + "]", at);
    if (f.voice) Write("[voice:" + (voice = *f.voice) + "]", at);
  }

  // Reads the attributes of a supported element at its start; false after an error.
  bool Start(Frame& f, const Attributes& attrs, SourceSpan tag) {
    auto bad = [&](std::string_view attr, std::string_view value, std::string_view expected) {
      Fail(tag.begin, "<" + f.name + " " + std::string(attr) + "=\"" + Clip(value) + "\">: " + std::string(expected));
      return false;
    };
    switch (f.element) {
      case Element::kSpeak: root_seen = true; break;
      case Element::kParagraph:
      case Element::kSentence: Separator(tag); break;
      case Element::kBreak: {
        f.content = Content::kDropped;
        f.pause_ms = kMediumPauseMs;
        if (auto t = attrs.Get("time")) {
          auto ms = BreakTime(*t);
          if (!ms) return bad("time", *t, "not a time (write it as 500ms or 1.5s)");
          f.pause_ms = *ms;
        } else if (auto s = attrs.Get("strength")) {
          auto ms = Find(kStrengths, Trim(*s));
          if (!ms) return bad("strength", *s, "not a strength (none, x-weak, weak, medium, strong, x-strong)");
          f.pause_ms = *ms;
        }
        break;
      }
      case Element::kProsody: {
        std::optional<double> r, v, p;
        if (auto a = attrs.Get("rate"); a && !(r = Rate(*a, rate))) {
          return bad("rate", *a, "not a rate (x-slow, slow, medium, fast, x-fast, default, 150%, +20%, 1.5)");
        }
        if (auto a = attrs.Get("volume"); a && !(v = Volume(*a, volume))) {
          return bad("volume", *a,
                     "not a volume (silent, x-soft, soft, medium, loud, x-loud, default, +6dB, 50%, +10%)");
        }
        if (auto a = attrs.Get("pitch"); a && !(p = Pitch(*a, pitch))) {
          return bad("pitch", *a, "not a pitch (x-low, low, medium, high, x-high, default, +2st, -10%, +50Hz, 180Hz)");
        }
        if (r) SetRate(f, *r, tag);
        if (v) SetVolume(f, *v, tag);
        if (p) SetPitch(f, *p, tag);
        break;
      }
      case Element::kEmphasis: {
        const std::string level = attrs.Get("level").value_or("moderate");
        auto e = Find(kEmphases, Trim(level));
        if (!e) return bad("level", level, "not a level (strong, moderate, reduced, none)");
        SetRate(f, rate * e->rate, tag);
        SetVolume(f, volume * e->volume, tag);
        break;
      }
      case Element::kSayAs: {
        f.content = Content::kCaptured;
        auto interpret = attrs.Get("interpret-as");
        if (!interpret) return Fail(tag.begin, "<say-as> needs an interpret-as attribute"), false;
        f.arg = Lower(Trim(*interpret));
        f.format = Lower(Trim(attrs.Get("format").value_or("")));
        if (f.arg == "date" && !f.format.empty() && std::ranges::find(kDateFormats, f.format) == kDateFormats.end()) {
          return bad("format", f.format, "not a date format (mdy, dmy, ymd, md, dm, ym, my, y, d, m)");
        }
        if (f.arg == "time" && !f.format.empty() && f.format != "hms12" && f.format != "hms24") {
          return bad("format", f.format, "not a time format (hms12, hms24)");
        }
        break;
      }
      case Element::kSub: {
        f.content = Content::kCaptured;
        auto alias = attrs.Get("alias");
        if (!alias) return Fail(tag.begin, "<sub> needs an alias attribute"), false;
        f.arg = *alias;
        break;
      }
      case Element::kPhoneme: {
        f.content = Content::kCaptured;
        if (auto alphabet = attrs.Get("alphabet")) {
          const std::string a = Lower(Trim(*alphabet));
          if (a != "ipa" && a != "x-arpabet" && a != "arpabet")
            return bad("alphabet", *alphabet, "not ipa or x-arpabet");
        }
        auto ph = attrs.Get("ph");
        if (!ph) return Fail(tag.begin, "<phoneme> needs a ph attribute"), false;
        auto phones = ParsePhoneNotation(*ph);
        if (!phones) return bad("ph", *ph, phones.error().message);
        for (const std::string& p : *phones) f.arg += (f.arg.empty() ? "" : " ") + p;
        if (f.arg.size() > kMaxInlinePhonesBytes) return bad("ph", *ph, "too many phones");
        break;
      }
      case Element::kVoice: {
        auto name = attrs.Get("name");
        if (!name) break;  // gender, age, ...: not chosen by here
        if (!IsVoiceName(*name)) return bad("name", *name, "a voice name is 1 to 64 of A-Z a-z 0-9 _ . -");
        if (*name != voice) {
          f.voice = voice;
          voice = *name;
          Write("[voice:" + voice + "]", tag);
        }
        break;
      }
      case Element::kMark:
      case Element::kDropped: f.content = Content::kDropped; break;
      case Element::kLang:
      case Element::kAudio:  // its content is what to say when there is no audio
      case Element::kIgnored: break;
    }
    return true;
  }

  void OnStart(const char* local, const char* prefix, const char* uri, int attr_count, const xmlChar** attrs) {
    if (error || lost) return;
    SourceSpan tag;
    bool empty = false;
    if (!ConsumeTag(false, &tag, &empty)) return;
    if (empty) empty_tag = tag;
    const std::string name = Clip(prefix != nullptr ? std::string(prefix) + ":" + local : std::string(local));
    if (stack.size() >= kMaxSsmlDepth) {
      return Fail(tag.begin, "elements are nested more than " + std::to_string(kMaxSsmlDepth) + " deep");
    }
    if (!stack.empty() && stack.back().content == Content::kDropped) {  // <metadata>'s RDF and the like
      Frame& f = stack.emplace_back();
      f.content = Content::kDropped;
      f.begin = tag.begin;
      f.name = name;
      return;
    }
    if (!stack.empty() && stack.back().content == Content::kCaptured) {
      return Fail(tag.begin, "element <" + name + "> is not allowed inside <" + stack.back().name + ">");
    }
    std::optional<Element> element = Find(kElements, local);
    if (uri != nullptr && uri != kSsmlNamespace) element.reset();
    if (!element) return Fail(tag.begin, "element <" + name + "> is not supported");
    if (stack.empty() && element != Element::kSpeak) {
      return Fail(tag.begin, "the root element must be <speak>, not <" + name + ">");
    }
    if (!stack.empty() && element == Element::kSpeak) {
      return Fail(tag.begin, "<speak> must be the root element, not inside <" + stack.back().name + ">");
    }
    Frame f;
    f.element = *element;
    f.begin = tag.begin;
    f.name = name;
    if (Start(f, Attributes{attr_count, attrs}, tag)) stack.push_back(std::move(f));
  }

  void OnEnd() {
    if (error || lost) return;
    SourceSpan tag;
    if (empty_tag) {
      tag = *empty_tag;
      empty_tag.reset();
    } else if (bool empty = false; !ConsumeTag(true, &tag, &empty)) {
      return;
    }
    if (stack.empty()) return void(LostPlace());
    const Frame f = std::move(stack.back());
    stack.pop_back();
    const SourceSpan whole{f.begin, tag.end};
    switch (f.element) {
      case Element::kSpeak: root_closed = true; break;
      case Element::kParagraph:
      case Element::kSentence: Separator(tag); break;
      case Element::kBreak: {
        const std::string pause = "[pause:" + std::to_string(f.pause_ms) + "ms] ";
        Write(wrote && last != ' ' && last != '\n' ? " " + pause : pause, whole);
        break;
      }
      case Element::kProsody:
      case Element::kEmphasis:
      case Element::kVoice: Restore(f, tag); break;
      case Element::kSayAs:
        if (auto words = SayAs(f.arg, f.format, f.text)) {
          Write(*words, whole);
        } else if (!f.text.empty()) {
          out->append(f.text);
          spans->insert(spans->end(), f.text_spans.begin(), f.text_spans.end());
          Track(f.text);
        }
        break;
      case Element::kSub: Write(f.arg, whole); break;
      case Element::kPhoneme: Write("[[" + f.arg + "]]", whole); break;
      default: break;
    }
  }

  // --- libxml2's callbacks (C: no exception may leave them) ---

  template <typename F>
  static void Guard(void* ctx, F&& f) {
    auto* impl = static_cast<Impl*>(ctx);
    try {
      f(*impl);
    } catch (const std::exception& e) {
      impl->Internal(e.what());
    }
  }
  static void StartCb(void* ctx, const xmlChar* local, const xmlChar* prefix, const xmlChar* uri, int, const xmlChar**,
                      int attr_count, int, const xmlChar** attrs) {
    Guard(ctx, [&](Impl& m) {
      m.OnStart(reinterpret_cast<const char*>(local), reinterpret_cast<const char*>(prefix),
                reinterpret_cast<const char*>(uri), attr_count, attrs);
    });
  }
  static void EndCb(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    Guard(ctx, [](Impl& m) { m.OnEnd(); });
  }
  static void PiCb(void* ctx, const xmlChar* target, const xmlChar*) {
    Guard(ctx, [&](Impl& m) {
      const std::string t = reinterpret_cast<const char*>(target);
      m.Fail(m.doc.find("<?" + t, m.pos), "processing instruction <?" + Clip(t) + "?> is not allowed");
    });
  }
  static void DoctypeCb(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    Guard(ctx, [](Impl& m) {
      m.Fail(m.doc.find("<!DOCTYPE", m.pos), "a DOCTYPE is not allowed (no DTDs, no entity declarations)");
    });
  }
  static void EntityDeclCb(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
    Guard(ctx, [](Impl& m) { m.Fail(m.pos, "entity declarations are not allowed"); });
  }
  static void ReferenceCb(void* ctx, const xmlChar* name) {
    Guard(ctx,
          [&](Impl& m) { m.Fail(m.pos, "entity &" + Clip(reinterpret_cast<const char*>(name)) + "; is not defined"); });
  }
  static void ErrorCb(void* ctx, xmlErrorPtr e) {
    if (e != nullptr) Guard(ctx, [&](Impl& m) { m.OnXmlError(*e); });
  }

  void Create() {
    static std::once_flag once;
    std::call_once(once, [] { xmlInitParser(); });
    xmlSAXHandler sax{};
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = StartCb;
    sax.endElementNs = EndCb;
    // No characters handler: ScanContent reads the text from the bytes, with its place.
    sax.processingInstruction = PiCb;
    sax.internalSubset = DoctypeCb;
    sax.externalSubset = DoctypeCb;
    sax.entityDecl = EntityDeclCb;
    sax.reference = ReferenceCb;
    sax.serror = ErrorCb;
    ctxt = xmlCreatePushParserCtxt(&sax, this, nullptr, 0, nullptr);
    if (ctxt == nullptr) return Internal("libxml2 could not create a parser");
    // No network, CDATA as text, the document's encoding declaration ignored (it is UTF-8, checked
    // here), libxml2's own printing off (errors come to ErrorCb). Entities are never substituted.
    xmlCtxtUseOptions(
        ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  }

  // Checks the new bytes: UTF-8 (a character cut at the end may be completed by the next call), no NUL.
  void CheckBytes() {
    while (checked < doc.size()) {
      if (doc[checked] == '\0') return Fail(checked, "a NUL byte is not allowed");
      const size_t len = Utf8At(doc, checked);
      if (len == kNone) return;
      if (len == 0) return Fail(checked, "the document is not valid UTF-8");
      checked += len;
    }
  }

  void Parse(std::string_view chunk, bool terminate) {
    const int rc = xmlParseChunk(ctxt, chunk.data(), static_cast<int>(chunk.size()), terminate ? 1 : 0);
    if (lost && terminate) Fail(pos, "the document ends inside a tag");
    if (lost) Internal("lost its place in the document at byte " + std::to_string(pos) + " (a bug)");
    if (rc != 0) SetError(1, 1, "malformed XML (libxml2 error " + std::to_string(rc) + ")");
    if (!error && !lost) ScanContent();
  }

  void Begin(std::string* o, std::vector<SourceSpan>* s) {
    out = o;
    spans = s;
    out_size = o->size();
    spans_size = s->size();
  }

  Status End() {
    if (error) {
      out->resize(out_size);
      spans->resize(spans_size);
    }
    out = nullptr;
    spans = nullptr;
    if (error) return std::unexpected(*error);
    return {};
  }
};

SsmlReader::SsmlReader() : impl_(std::make_unique<Impl>()) { impl_->Create(); }

SsmlReader::~SsmlReader() {
  if (impl_->ctxt != nullptr) {
    if (impl_->ctxt->myDoc != nullptr) xmlFreeDoc(impl_->ctxt->myDoc);
    xmlFreeParserCtxt(impl_->ctxt);
  }
}

Status SsmlReader::Append(std::string_view ssml, std::string* out, std::vector<SourceSpan>* spans) {
  Impl& m = *impl_;
  if (m.error) return std::unexpected(*m.error);
  if (m.closed) return MakeError(ErrorCode::kBadRequest, "SSML: the document was closed already");
  m.Begin(out, spans);
  if (ssml.size() > kMaxSsmlBytes - m.doc.size()) {
    m.Fail(m.doc.size(), "the document is longer than " + std::to_string(kMaxSsmlBytes) + " bytes");
  } else {
    m.doc.append(ssml);
    m.CheckBytes();
    if (!m.error) m.Parse(ssml, false);
  }
  return m.End();
}

Status SsmlReader::Close(std::string* out, std::vector<SourceSpan>* spans) {
  Impl& m = *impl_;
  if (m.error) return std::unexpected(*m.error);
  if (m.closed) return MakeError(ErrorCode::kBadRequest, "SSML: the document was closed already");
  m.Begin(out, spans);
  if (m.checked < m.doc.size()) {
    m.Fail(m.checked, "the document ends inside a UTF-8 character");
  } else {
    m.terminating = true;
    m.Parse({}, true);
  }
  if (!m.root_seen) m.Fail(m.doc.size(), "the document has no <speak> element");
  if (!m.root_closed) m.Fail(m.doc.size(), m.NotClosed());
  m.pos = m.doc.size();  // after </speak>: whitespace and comments only
  m.closed = true;
  return m.End();
}

}  // namespace ttsd::frontend
