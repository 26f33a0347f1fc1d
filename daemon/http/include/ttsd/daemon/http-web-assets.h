// The control page's files (daemon/http/web/), embedded into the binary at build time: CMake runs
// daemon/http/web/embed.cmake, which writes http-web-assets.cc with each file's bytes.
//   if (const WebAsset* a = FindWebAsset("/index.html")) reply(a->content_type, a->body);
// Thread-safety: constant data.
#pragma once

#include <string_view>

namespace ttsd::daemon {

struct WebAsset {
  std::string_view path;          // "/index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

// Null when no file has that path.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace ttsd::daemon
