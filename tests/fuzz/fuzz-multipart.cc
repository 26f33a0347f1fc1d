// Fuzzes the multipart/form-data reader of voice uploads (daemon/http: http-multipart.h, POST
// /v1/voices). Input: the Content-Type header's value, a NUL byte, then the body. Checks, beyond the
// sanitizers: only bad_request errors; at most kMaxFormParts parts, each named, its data a view
// inside the body, in order, not overlapping.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz-check.h"
#include "ttsd/daemon/http-multipart.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  if (nul == std::string::npos) return 0;
  const std::string_view content_type = std::string_view(input).substr(0, nul);
  const std::string_view body = std::string_view(input).substr(nul + 1);
  auto form = ttsd::daemon::ParseMultipart(content_type, body);
  if (!form) {
    FUZZ_CHECK(form.error().code == ttsd::ErrorCode::kBadRequest, "an unexpected error code");
    return 0;
  }
  FUZZ_CHECK(form->size() <= ttsd::daemon::kMaxFormParts, "too many parts");
  const char* last_end = body.data();
  for (const auto& part : *form) {
    FUZZ_CHECK(!part.name.empty(), "a part without a name");
    FUZZ_CHECK(part.data.data() >= last_end && part.data.data() + part.data.size() <= body.data() + body.size(),
               "a part's data outside the body or out of order");
    last_end = part.data.data() + part.data.size();
  }
  return 0;
}
