#include "ttsd/client/utf8-splitter.h"

#include "ttsd/protocol/messages.h"

namespace ttsd::client {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Expected length of the sequence a lead byte starts; 0 for bytes that cannot start one.
size_t SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 0;
}

bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

std::string Utf8Splitter::Feed(std::string_view bytes) {
  std::string in;
  std::string_view work = bytes;
  if (!pending_.empty()) {
    in = std::move(pending_);
    in.append(bytes);
    work = in;
  }
  pending_.clear();
  std::string out;
  out.reserve(work.size());
  size_t i = 0;
  while (i < work.size()) {
    const auto c = static_cast<unsigned char>(work[i]);
    const size_t len = SequenceLength(c);
    if (len == 1) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (len == 0) {
      out.append(kReplacement);
      ++i;
      continue;
    }
    if (i + len > work.size()) {
      // The piece ends inside a sequence: hold it back if what came so far could still be valid.
      bool plausible = true;
      for (size_t k = i + 1; k < work.size(); ++k) plausible = plausible && IsContinuation(work[k]);
      if (plausible) {
        pending_.assign(work.substr(i));
        break;
      }
      out.append(kReplacement);
      ++i;
      continue;
    }
    std::string_view seq = work.substr(i, len);
    if (protocol::IsValidUtf8(seq)) {
      out.append(seq);
      i += len;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

std::string Utf8Splitter::Finish() {
  if (pending_.empty()) return {};
  pending_.clear();
  return std::string(kReplacement);
}

}  // namespace ttsd::client
