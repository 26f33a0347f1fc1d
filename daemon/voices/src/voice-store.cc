#include "ttsd/daemon/voice-store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

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

std::string ToJson(const SavedVoice& v) {
  json j = {{"format", kFormat},     {"name", v.name},       {"voice", v.voice},
            {"embedding", v.embedding}, {"references", v.references}, {"seconds", v.seconds},
            {"created", v.created}};
  return j.dump() + "\n";
}

// Errors: kIo with what is wrong; never throws.
Result<SavedVoice> FromJson(const std::string& text, const std::string& expected_name) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kIo, why); };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("format") || j["format"] != kFormat) return bad("unknown format");
  SavedVoice v;
  if (!j["name"].is_string() || !j["voice"].is_string() || !j["embedding"].is_array() ||
      !j["references"].is_number_unsigned() || !j["seconds"].is_number() || !j["created"].is_string()) {
    return bad("a field is missing or of the wrong type");
  }
  v.name = j["name"].get<std::string>();
  if (v.name != expected_name) return bad("its name '" + v.name + "' differs from the file's");
  v.voice = j["voice"].get<std::string>();
  for (const auto& x : j["embedding"]) {
    if (!x.is_number() || !std::isfinite(x.get<double>())) return bad("the embedding holds a non-number");
    v.embedding.push_back(x.get<float>());
  }
  if (v.embedding.empty() || v.voice.empty()) return bad("empty embedding or base voice");
  v.references = j["references"].get<uint32_t>();
  v.seconds = j["seconds"].get<double>();
  v.created = j["created"].get<std::string>();
  return v;
}

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
    auto voice = in ? FromJson(text.str(), name) : MakeError(ErrorCode::kIo, "unreadable");
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
  if (voice.embedding.empty()) return MakeError(ErrorCode::kBadRequest, "no speaker embedding to save");
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
  if (auto s = WriteDurably(temp, ToJson(voice)); !s) return s;
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
