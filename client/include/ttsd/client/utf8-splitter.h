// Cuts a byte stream that arrives in arbitrary pieces into UTF-8 text without ever splitting a character:
// an incomplete sequence at the end of a piece waits for the next one. Invalid bytes become U+FFFD.
//   Utf8Splitter s; std::string a = s.Feed(piece1); std::string b = s.Feed(piece2); std::string c = s.Finish();
// Thread-safety: one thread at a time.
#pragma once

#include <string>
#include <string_view>

namespace ttsd::client {

class Utf8Splitter {
 public:
  // The valid text that is complete so far (possibly empty); at most 3 bytes are held back.
  std::string Feed(std::string_view bytes);
  // Whatever is held back; an incomplete sequence becomes U+FFFD. The splitter is empty afterwards.
  std::string Finish();

  size_t pending_bytes() const { return pending_.size(); }

 private:
  std::string pending_;  // the start of a sequence whose remaining bytes have not arrived yet
};

}  // namespace ttsd::client
