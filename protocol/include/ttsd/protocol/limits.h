// Limits that more than one layer checks (the wire parser, the engine, the daemon, ttsc): each is
// stated here once, and error messages and help texts are built from these constants.
//   if (!(speed >= kMinSpeed && speed <= kMaxSpeed)) return MakeError(ErrorCode::kBadRequest, "...");
//   for (std::string_view axis : kEmotionAxisNames) ...;   // EmotionAxisList(): "happy, angry, ..."
// Thread-safety: constants and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ttsd::protocol {

// Speaking rate ("speed"; > 1 is faster). A target "duration" may stretch or squeeze a text's
// natural length by the same factors.
inline constexpr double kMinSpeed = 0.25;  // slowest
inline constexpr double kMaxSpeed = 4.0;   // fastest

// Emotion axes: the keys of "emotion" objects and the engine's emotion vector, in IndexTTS2's order.
inline constexpr size_t kEmotionAxes = 8;
inline constexpr std::array<std::string_view, kEmotionAxes> kEmotionAxisNames = {
    "happy", "angry", "sad", "afraid", "disgusted", "melancholic", "surprised", "calm"};
inline constexpr double kMaxEmotionWeight = 1.0;  // each axis weighs 0..this
inline constexpr double kMaxEmotionAlpha = 1.0;   // "emotion_alpha", how strongly emotion applies: 0..this
inline constexpr size_t kMaxEmotionTextBytes = 1000;  // an emotion description ("emotion_text")

// "loudness" of a request: each utterance brought to this integrated loudness (LUFS, EBU R128);
// true asks for kDefaultLoudnessLufs.
inline constexpr double kMinLoudnessLufs = -70;
inline constexpr double kMaxLoudnessLufs = -5;
inline constexpr double kDefaultLoudnessLufs = -16;

inline constexpr double kMaxDurationS = 600;  // a target utterance length ("duration"), seconds
inline constexpr uint32_t kMaxReferences = 8;  // speaker reference files per request or saved voice
inline constexpr size_t kMaxReferenceTextBytes = 1000;  // a reference's transcript ("reference_text")
inline constexpr uint32_t kMaxTopK = 1024;  // "top_k" of token voices (their vocabulary, the end token aside)
// The rest of token voices' sampling: "top_p" in (0, 1] (1: off), "temperature" in
// [kMinTemperature, kMaxTemperature], "repetition_penalty" in [1, kMaxRepetitionPenalty] (1: off).
inline constexpr double kMinTemperature = 0.01;
inline constexpr double kMaxTemperature = 2.0;
inline constexpr double kMaxRepetitionPenalty = 2.0;

inline constexpr uint32_t kChannelSampleRate = 48000;  // output channels: listeners receive 48 kHz mono
inline constexpr size_t kMaxChannelNameBytes = 64;     // an output channel's name
inline constexpr size_t kMaxSavedVoiceNameBytes = 64;  // a saved voice's name
inline constexpr size_t kMaxSocketPathBytes = 107;     // a Unix socket path: sockaddr_un's sun_path, less its NUL

// "happy, angry, sad, afraid, disgusted, melancholic, surprised, calm", for messages and help texts.
std::string EmotionAxisList();
// A limit as messages print it: the shortest form that reads back exactly ("0.25", "4", "600").
std::string LimitText(double value);

}  // namespace ttsd::protocol
