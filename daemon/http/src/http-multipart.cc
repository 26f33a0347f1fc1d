#include "ttsd/daemon/http-multipart.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace ttsd::daemon {
namespace {

Error Bad(std::string message) { return Error{ErrorCode::kBadRequest, "multipart body: " + std::move(message)}; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A parameter of a header value: `key=value` or `key="value"` after a ';'. Quoted values end at the
// next quote (browsers percent-encode quotes in names and file names); backslash escapes are kept.
std::optional<std::string> Parameter(std::string_view value, std::string_view key) {
  size_t at = value.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = Trim(value.substr(at + 1));
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string name = Lower(Trim(rest.substr(0, eq)));
    std::string_view v = Trim(rest.substr(eq + 1));
    size_t next;
    std::string found;
    if (!v.empty() && v.front() == '"') {
      const size_t close = v.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      found = std::string(v.substr(1, close - 1));
      next = v.find(';', close);
    } else {
      next = v.find(';');
      found = std::string(Trim(v.substr(0, next)));
    }
    if (name == key) return found;
    if (next == std::string_view::npos) return std::nullopt;
    at = static_cast<size_t>(v.data() + next - value.data());
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<FormPart>> ParseMultipart(std::string_view content_type, std::string_view body) {
  const std::string type = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  if (type != "multipart/form-data") return std::unexpected(Bad("the Content-Type is not multipart/form-data"));
  const auto boundary = Parameter(content_type, "boundary");
  // RFC 2046: 1 to 70 characters, no trailing space.
  if (!boundary || boundary->empty() || boundary->size() > 70 || boundary->back() == ' ') {
    return std::unexpected(Bad("the Content-Type has no valid boundary"));
  }
  const std::string delimiter = "--" + *boundary;
  const std::string next_delimiter = "\r\n" + delimiter;

  // The preamble ends at the first delimiter (at the start of the body or after a CRLF).
  size_t at;
  if (body.starts_with(delimiter)) {
    at = delimiter.size();
  } else {
    const size_t first = body.find(next_delimiter);
    if (first == std::string_view::npos) return std::unexpected(Bad("no boundary line"));
    at = first + next_delimiter.size();
  }
  std::vector<FormPart> parts;
  while (true) {
    // After a delimiter: "--" ends the body, else (transport padding, then) CRLF starts a part.
    if (body.substr(at, 2) == "--") return parts;
    while (at < body.size() && (body[at] == ' ' || body[at] == '\t')) ++at;
    if (body.substr(at, 2) != "\r\n") return std::unexpected(Bad("a boundary line is not followed by CRLF"));
    at += 2;
    if (parts.size() == kMaxFormParts) return std::unexpected(Bad("more than " + std::to_string(kMaxFormParts) + " parts"));

    const size_t headers_end = body.find("\r\n\r\n", at - 2);
    if (headers_end == std::string_view::npos) return std::unexpected(Bad("a part's headers do not end"));
    FormPart part;
    bool form_data = false;
    std::string_view headers = body.substr(at, headers_end >= at ? headers_end - at : 0);
    while (!headers.empty()) {
      const size_t eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) return std::unexpected(Bad("a part header without ':'"));
      const std::string field = Lower(Trim(line.substr(0, colon)));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (field == "content-disposition") {
        form_data = Lower(Trim(value.substr(0, value.find(';')))) == "form-data";
        part.name = Parameter(value, "name").value_or("");
        part.filename = Parameter(value, "filename").value_or("");
      } else if (field == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!form_data || part.name.empty()) {
      return std::unexpected(Bad("a part without 'Content-Disposition: form-data; name=...'"));
    }
    const size_t data_start = headers_end + 4;
    const size_t data_end = body.find(next_delimiter, data_start);
    if (data_end == std::string_view::npos) return std::unexpected(Bad("a part that does not end (no closing boundary)"));
    part.data = body.substr(data_start, data_end - data_start);
    parts.push_back(std::move(part));
    at = data_end + next_delimiter.size();
  }
}

}  // namespace ttsd::daemon
