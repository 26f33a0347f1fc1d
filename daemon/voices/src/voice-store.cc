#include "ttsd/daemon/voice-store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "ttsd/protocol/voice-messages.h"

namespace ttsd::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kFormat = 1;
constexpr const char* kSuffix = ".json";

std::unexpected<Error> IoError(const std::string& what) {
  return MakeError(ErrorCode::kIo, what + ": " + std::strerror(errno));
}

bool IsTempName(const std::string& file) { return file.starts_with('.') && file.find(".tmp.") != std::string::npos; }

static_assert(std::endian::native == std::endian::little, "saved floats are written as little-endian bytes");

// Float arrays of a token reference (a spectrogram: a million numbers) as base64 of float32 LE.
std::string ToBase64(const std::vector<float>& v) {
  const size_t bytes = v.size() * sizeof(float);
  std::string out(4 * ((bytes + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(v.data()), static_cast<int>(bytes));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<std::vector<float>> FromBase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string raw(3 * (text.size() / 4), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding's zero bytes in: drop one per '='.
  const size_t pad = static_cast<size_t>(text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0);
  const size_t bytes = static_cast<size_t>(n) - pad;
  if (bytes % sizeof(float) != 0) return std::nullopt;
  std::vector<float> v(bytes / sizeof(float));
  std::memcpy(v.data(), raw.data(), bytes);
  for (float x : v) {
    if (!std::isfinite(x)) return std::nullopt;
  }
  return v;
}

json ReferenceToJson(const engine::TokenReference& r) {
  return {{"text", r.text},
          {"phone_ids", r.phone_ids},
          {"prompts", r.prompts},
          {"spectrogram_bins", r.spectrogram_bins},
          {"spectrogram", ToBase64(r.spectrogram)},
          {"speaker", ToBase64(r.speaker)}};
}

Result<std::shared_ptr<const engine::TokenReference>> ReferenceFromJson(const json& j) {
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kIo, "reference: " + why); };
  if (!j.is_object() || !j.contains("text") || !j["text"].is_string() || !j.contains("phone_ids") ||
      !j["phone_ids"].is_array() || !j.contains("prompts") || !j["prompts"].is_array() ||
      !j.contains("spectrogram_bins") || !j["spectrogram_bins"].is_number_unsigned() || !j.contains("spectrogram") ||
      !j["spectrogram"].is_string() || !j.contains("speaker") || !j["speaker"].is_string()) {
    return bad("a field is missing or of the wrong type");
  }
  auto r = std::make_shared<engine::TokenReference>();
  r->text = j["text"].get<std::string>();
  for (const char* key : {"phone_ids", "prompts"}) {
    auto& out = std::string_view(key) == "prompts" ? r->prompts : r->phone_ids;
    for (const auto& x : j[key]) {
      if (!x.is_number_unsigned() || x.get<uint64_t>() > 0x7fffffff) return bad(std::string(key) + " holds a non-id");
      out.push_back(x.get<int64_t>());
    }
    if (out.empty()) return bad(std::string(key) + " is empty");
  }
  r->spectrogram_bins = j["spectrogram_bins"].get<int64_t>();
  auto spectrogram = FromBase64(j["spectrogram"].get<std::string>());
  auto speaker = FromBase64(j["speaker"].get<std::string>());
  if (!spectrogram || !speaker) return bad("spectrogram or speaker is not base64 of finite float32s");
  if (r->spectrogram_bins <= 0 || spectrogram->size() % static_cast<size_t>(r->spectrogram_bins) != 0) {
    return bad("the spectrogram's size is not a multiple of its bins");
  }
  r->spectrogram = std::move(*spectrogram);
  r->speaker = std::move(*speaker);
  return r;
}

}  // namespace

std::string SerializeSavedVoice(const SavedVoice& v) {
  json j = {{"format", kFormat},     {"name", v.name},       {"voice", v.voice},
            {"references", v.references}, {"seconds", v.seconds}, {"created", v.created}};
  if (v.reference) {
    j["reference"] = ReferenceToJson(*v.reference);
  } else {
    j["embedding"] = v.embedding;
  }
  return j.dump() + "\n";
}

Result<SavedVoice> ParseSavedVoice(const std::string& text, const std::string& expected_name) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kIo, why); };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat) return bad("unknown format");
  SavedVoice v;
  if (!j["name"].is_string() || !j["voice"].is_string() || !j["references"].is_number_unsigned() ||
      !j["seconds"].is_number() || !j["created"].is_string() || j.contains("embedding") == j.contains("reference")) {
    return bad("a field is missing or of the wrong type");
  }
  v.name = j["name"].get<std::string>();
  if (v.name != expected_name) return bad("its name '" + v.name + "' differs from the file's");
  v.voice = j["voice"].get<std::string>();
  if (j.contains("reference")) {
    auto reference = ReferenceFromJson(j["reference"]);
    if (!reference) return std::unexpected(reference.error());
    v.reference = std::move(*reference);
  } else {
    if (!j["embedding"].is_array()) return bad("the embedding is not an array");
    for (const auto& x : j["embedding"]) {
      // Finite as a float too: 1e300 is a double but no float.
      if (!x.is_number() || !std::isfinite(x.get<float>())) return bad("the embedding holds a non-number");
      v.embedding.push_back(x.get<float>());
    }
    if (v.embedding.empty()) return bad("empty embedding");
  }
  if (v.voice.empty()) return bad("empty base voice");
  v.references = j["references"].get<uint32_t>();
  v.seconds = j["seconds"].get<double>();
  v.created = j["created"].get<std::string>();
  return v;
}

namespace {

Status SyncDirectory(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open " + dir);
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  errno = err;
  if (rc != 0) return IoError("fsync " + dir);
  return {};
}

// Writes all of data to a new file at path and fsyncs it.
Status WriteDurably(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("create " + path);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = IoError("write " + path);
      close(fd);
      unlink(path.c_str());
      return e;
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    auto e = IoError("fsync " + path);
    close(fd);
    unlink(path.c_str());
    return e;
  }
  if (close(fd) != 0) {
    auto e = IoError("close " + path);
    unlink(path.c_str());
    return e;
  }
  return {};
}

}  // namespace

VoiceStore::VoiceStore(std::string dir) : dir_(std::move(dir)) { Load(); }

void VoiceStore::Load() {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return;
  std::map<std::string, std::shared_ptr<const SavedVoice>> loaded;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string file = entry.path().filename().string();
    if (!entry.is_regular_file(ec)) continue;  // voice packages are directories
    if (IsTempName(file)) {
      spdlog::warn("voice store: removing {}, left by a save that did not finish", entry.path().string());
      fs::remove(entry.path(), ec);
      continue;
    }
    if (!file.ends_with(kSuffix)) continue;
    const std::string name = file.substr(0, file.size() - std::strlen(kSuffix));
    if (!protocol::IsValidSavedVoiceName(name)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto voice = in ? ParseSavedVoice(text.str(), name) : MakeError(ErrorCode::kIo, "unreadable");
    if (!voice) {
      const std::string aside = entry.path().string() + ".bad";
      spdlog::warn("voice store: {} is not a saved voice ({}); renamed to {}", entry.path().string(),
                   voice.error().message, aside);
      fs::rename(entry.path(), aside, ec);
      continue;
    }
    loaded.emplace(name, std::make_shared<const SavedVoice>(std::move(*voice)));
  }
  if (ec) spdlog::warn("voice store: cannot list {}: {}", dir_, ec.message());
  std::lock_guard lock(mu_);
  voices_ = std::move(loaded);
}

Status VoiceStore::Save(const SavedVoice& voice, bool replace) {
  if (!protocol::IsValidSavedVoiceName(voice.name)) {
    return MakeError(ErrorCode::kBadRequest, "'" + voice.name + "' is not a valid saved voice name");
  }
  if (voice.embedding.empty() == !voice.reference) {
    return MakeError(ErrorCode::kBadRequest, "a saved voice holds either a speaker embedding or a reference");
  }
  std::lock_guard write_lock(write_mu_);
  if (!replace && Find(voice.name)) {
    return MakeError(ErrorCode::kVoiceExists, "a saved voice named '" + voice.name + "' exists; replace it to overwrite");
  }
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    fs::create_directories(dir_, ec);
    if (ec) return MakeError(ErrorCode::kIo, "cannot create " + dir_ + ": " + ec.message());
    chmod(dir_.c_str(), 0700);
  }
  static std::atomic<uint64_t> counter{0};
  const std::string path = dir_ + "/" + voice.name + kSuffix;
  const std::string temp = dir_ + "/." + voice.name + kSuffix + ".tmp." + std::to_string(getpid()) + "." +
                           std::to_string(counter.fetch_add(1));
  if (auto s = WriteDurably(temp, SerializeSavedVoice(voice)); !s) return s;
  if (rename(temp.c_str(), path.c_str()) != 0) {
    auto e = IoError("rename " + temp + " to " + path);
    unlink(temp.c_str());
    return e;
  }
  if (auto s = SyncDirectory(dir_); !s) return s;
  std::lock_guard lock(mu_);
  voices_[voice.name] = std::make_shared<const SavedVoice>(voice);
  return {};
}

Status VoiceStore::Remove(const std::string& name) {
  std::lock_guard write_lock(write_mu_);
  if (!Find(name)) return MakeError(ErrorCode::kUnknownVoice, "no saved voice named '" + name + "'");
  const std::string path = dir_ + "/" + name + kSuffix;
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("remove " + path);
  {
    std::lock_guard lock(mu_);
    voices_.erase(name);
  }
  return SyncDirectory(dir_);
}

std::shared_ptr<const SavedVoice> VoiceStore::Find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = voices_.find(name);
  return it == voices_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const SavedVoice>> VoiceStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const SavedVoice>> out;
  for (const auto& [name, v] : voices_) out.push_back(v);
  return out;
}

std::string VoiceStore::NowIso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ttsd::daemon
