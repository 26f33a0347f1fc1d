// Saved voices: a base voice package plus a speaker cloned from reference audio (an embedding for
// native voices, a TokenReference for GPT-SoVITS voices), kept in
// a directory as one JSON file per voice (NAME.json), written so that a crash at any moment leaves
// either the old file or the new one, never a torn one.
//   VoiceStore store("/home/me/.local/share/ttsd/voices");
//   if (auto s = store.Save(voice, /*replace=*/false); !s) reply(s.error());   // durable once ok
//   if (auto v = store.Find("anna")) start((*v)->voice, (*v)->embedding);
// Thread-safety: every method is safe from any thread. Lookups come from the I/O thread; saves and
// removals run on inference workers (they wait for the disk) and never block lookups for long.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ttsd/engine/token-reference.h"
#include "ttsd/protocol/error.h"
#include "ttsd/protocol/messages.h"

namespace ttsd::daemon {

struct SavedVoice {
  std::string name;              // protocol::IsValidSavedVoiceName
  std::string voice;             // the base voice package
  std::vector<float> embedding;  // the cloned speaker, speaker_dim() floats (native voices)
  // The cloned speaker of a token voice (GPT-SoVITS); then embedding is empty. Exactly one is set.
  std::shared_ptr<const engine::TokenReference> reference;
  uint32_t references = 0;       // files it was made from
  double seconds = 0;            // their total length
  std::string created;           // ISO 8601 UTC

  protocol::SavedVoiceInfo Info() const { return {name, voice, references, seconds, created}; }
};

// One saved voice's file as VoiceStore writes it (NAME.json), checked: its name must be `name`, it
// holds an embedding or a reference (not both; finite floats; a spectrogram that is whole frames).
// Errors: kIo saying what is wrong; never throws.
Result<SavedVoice> ParseSavedVoice(const std::string& text, const std::string& name);
std::string SerializeSavedVoice(const SavedVoice& voice);

class VoiceStore {
 public:
  // Loads every NAME.json in dir (which need not exist yet; it is created 0700 by the first save).
  // Leftovers of interrupted saves are removed; files that do not parse are renamed NAME.json.bad
  // so they are kept but not read again. Both are logged as warnings; nothing here fails.
  explicit VoiceStore(std::string dir);

  const std::string& dir() const { return dir_; }

  // Writes voice to a temporary file in dir, fsyncs it, renames it over NAME.json and fsyncs dir:
  // when this returns ok the voice survives a crash or power loss. Errors: kBadRequest (a bad name,
  // or not exactly one of embedding and reference), kVoiceExists (saved already and replace is false), kIo.
  Status Save(const SavedVoice& voice, bool replace);
  // Deletes NAME.json durably. Errors: kUnknownVoice (no such saved voice), kIo.
  Status Remove(const std::string& name);

  std::shared_ptr<const SavedVoice> Find(const std::string& name) const;  // null if none
  std::vector<std::shared_ptr<const SavedVoice>> List() const;            // sorted by name

  // The current time as "2026-11-22T06:10:40Z".
  static std::string NowIso8601();

 private:
  void Load();

  const std::string dir_;
  std::mutex write_mu_;    // serializes writes to dir_ (held while waiting for the disk)
  mutable std::mutex mu_;  // guards voices_ (held only to look up or swap an entry)
  std::map<std::string, std::shared_ptr<const SavedVoice>> voices_;
};

}  // namespace ttsd::daemon
