// multipart/form-data bodies (RFC 7578), as browsers' FormData, curl -F and Python's requests send
// them: what POST /v1/voices uploads (a saved voice's name, transcript and recordings).
//   auto form = ParseMultipart(content_type_header, body);   // Result<std::vector<FormPart>>
//   for (const FormPart& p : *form) if (!p.filename.empty()) files.push_back(p.data);
// Thread-safety: pure functions; parts are views into the body, which must outlive them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ttsd/protocol/error.h"

namespace ttsd::daemon {

struct FormPart {
  std::string name;          // Content-Disposition's name
  std::string filename;      // its filename; empty for a plain field
  std::string content_type;  // the part's Content-Type; empty when absent
  std::string_view data;     // the part's bytes, a view into the body
};

inline constexpr size_t kMaxFormParts = 32;

// content_type: the request's Content-Type header ("multipart/form-data; boundary=..."). Parts come
// in the body's order. Errors: kBadRequest saying what is wrong (not multipart/form-data, no or a bad
// boundary, a part without Content-Disposition: form-data and a name, headers or a body that do not
// end, more than kMaxFormParts parts).
Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body);

}  // namespace ttsd::daemon
