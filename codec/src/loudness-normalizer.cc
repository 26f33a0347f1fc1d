#include "ttsd/codec/loudness-normalizer.h"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace ttsd::codec {
namespace {

double DbToLinear(double db) { return std::pow(10.0, db / 20.0); }

}  // namespace

Status LoudnessOptions::Validate() const {
  if (!(target_lufs >= -70 && target_lufs <= -5)) {
    return std::unexpected(Error{ErrorCode::kBadRequest, "loudness target must be -70..-5 LUFS"});
  }
  if (!(true_peak_dbtp >= -20 && true_peak_dbtp <= 0)) {
    return std::unexpected(Error{ErrorCode::kBadRequest, "true-peak ceiling must be -20..0 dBTP"});
  }
  if (!(max_gain_db >= 0 && max_gain_db <= 40)) {
    return std::unexpected(Error{ErrorCode::kBadRequest, "loudness max gain must be 0..40 dB"});
  }
  return {};
}

// One utterance's meter: integrated (histogram: constant memory however long), momentary, true peak.
struct LoudnessNormalizer::Meter {
  ebur128_state* state = nullptr;
  explicit Meter(uint32_t rate)
      : state(ebur128_init(1, rate, EBUR128_MODE_I | EBUR128_MODE_M | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_HISTOGRAM)) {}
  ~Meter() {
    if (state) ebur128_destroy(&state);
  }
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;
  // Measures samples; their true peak (linear), or a negative number when libebur128 failed.
  double Add(const float* samples, size_t n) {
    double peak = 0;
    if (ebur128_add_frames_float(state, samples, n) != EBUR128_SUCCESS ||
        ebur128_prev_true_peak(state, 0, &peak) != EBUR128_SUCCESS) {
      return -1;
    }
    return peak;
  }
};

Result<LoudnessNormalizer> LoudnessNormalizer::Create(uint32_t sample_rate_hz, LoudnessOptions options) {
  if (auto ok = options.Validate(); !ok) return std::unexpected(ok.error());
  if (sample_rate_hz < 8000 || sample_rate_hz > 192000) {
    return std::unexpected(Error{ErrorCode::kBadRequest, "loudness: sample rate must be 8000..192000 Hz"});
  }
  auto meter = std::make_unique<Meter>(sample_rate_hz);
  if (!meter->state) return std::unexpected(Error{ErrorCode::kInternal, "libebur128: cannot create a meter"});
  return LoudnessNormalizer(sample_rate_hz, options, std::move(meter));
}

LoudnessNormalizer::LoudnessNormalizer(uint32_t rate, LoudnessOptions options, std::unique_ptr<Meter> meter)
    : rate_(rate), options_(options), meter_(std::move(meter)),
      block_(static_cast<size_t>(std::lround(rate * kBlockS))) {}

LoudnessNormalizer::LoudnessNormalizer(LoudnessNormalizer&&) noexcept = default;
LoudnessNormalizer& LoudnessNormalizer::operator=(LoudnessNormalizer&&) noexcept = default;
LoudnessNormalizer::~LoudnessNormalizer() = default;

void LoudnessNormalizer::Start(std::optional<double> prior_lufs) {
  auto fresh = std::make_unique<Meter>(rate_);
  if (fresh->state) meter_ = std::move(fresh);  // else keep measuring on the old one: better than nothing
  prior_lufs_ = prior_lufs && std::isfinite(*prior_lufs) ? prior_lufs : std::nullopt;
  pending_.clear();
  block_peaks_.clear();
  measured_samples_ = 0;
  started_ = false;
  finished_ = false;
  agc_db_ = 0;
  limit_ = 1;
  partial_peak_ = 0;
}

std::optional<double> LoudnessNormalizer::measured_lufs() const {
  double lufs = -HUGE_VAL;
  if (ebur128_loudness_global(meter_->state, &lufs) != EBUR128_SUCCESS || !std::isfinite(lufs)) return std::nullopt;
  return lufs;
}

// Measures input block by block (each block's true peak is what the limiter needs), appending it to pending_.
Status LoudnessNormalizer::Measure(std::span<const float> input) {
  size_t at = 0;
  while (at < input.size()) {
    const size_t partial = pending_.size() - block_peaks_.size() * block_;
    const size_t n = std::min(block_ - partial, input.size() - at);
    const double peak = meter_->Add(input.data() + at, n);
    if (peak < 0) return std::unexpected(Error{ErrorCode::kInternal, "libebur128: cannot measure audio"});
    pending_.insert(pending_.end(), input.begin() + at, input.begin() + at + n);
    partial_peak_ = std::max(partial_peak_, peak);
    if (partial + n == block_) {
      block_peaks_.push_back(partial_peak_);
      partial_peak_ = 0;
    }
    at += n;
  }
  measured_samples_ += input.size();
  return {};
}

// target - estimate, the estimate being the utterance's loudness so far blended with the prior.
std::optional<double> LoudnessNormalizer::DesiredGainDb() const {
  const double measured_s = static_cast<double>(measured_samples_) / rate_;
  std::optional<double> loudness = measured_lufs();  // 400 ms and more above the gate
  if (!loudness && measured_s >= kFirstEstimateS) {
    // Less than one gating block: the momentary loudness is over 400 ms with zeros before the audio.
    double momentary = -HUGE_VAL;
    if (ebur128_loudness_momentary(meter_->state, &momentary) == EBUR128_SUCCESS && std::isfinite(momentary) &&
        momentary > -70) {
      loudness = momentary + 10 * std::log10(0.4 / std::min(measured_s, 0.4));
    }
  }
  double estimate;
  if (loudness && prior_lufs_) {
    const double w = std::min(measured_s, 30.0);
    estimate = (*prior_lufs_ * kPriorWeightS + *loudness * w) / (kPriorWeightS + w);
  } else if (loudness) {
    estimate = *loudness;
  } else if (prior_lufs_) {
    estimate = *prior_lufs_;
  } else {
    return std::nullopt;  // silence so far
  }
  return std::clamp(options_.target_lufs - estimate, -kMaxCutDb, options_.max_gain_db);
}

// Hands out every whole block whose successor's peak is known (all of them, and the unfinished one, when
// finishing), gained: the loudness gain slewed from the last block's, times the limiter's ramp.
void LoudnessNormalizer::EmitBlocks(bool finish) {
  out_.clear();
  // Nothing to go by yet (silence so far): the blocks pass at the gain they have, and the first block
  // with something to measure still takes its gain at once.
  const std::optional<double> estimate = DesiredGainDb();
  const bool settle = !started_ && !estimate;
  const double desired = estimate.value_or(agc_db_);
  const double ceiling = DbToLinear(options_.true_peak_dbtp);
  const double measured_s = static_cast<double>(measured_samples_) / rate_;
  const double slew = (measured_s < kFastSlewS ? kFastSlewDbPerS : kSlewDbPerS) * kBlockS;
  const double release = DbToLinear(kReleaseDbPerS * kBlockS);
  std::vector<double> peaks = block_peaks_;
  const size_t whole = peaks.size();
  if (finish && pending_.size() > whole * block_) peaks.push_back(partial_peak_);
  const size_t emit = finish ? peaks.size() : (whole > 0 ? whole - 1 : 0);
  for (size_t k = 0; k < emit; ++k) {
    const double from_db = started_ ? agc_db_ : std::clamp(desired, -kMaxCutDb, options_.max_gain_db);
    const double to_db = started_ ? std::clamp(desired, agc_db_ - slew, agc_db_ + slew) : from_db;
    const double agc = DbToLinear(std::max(from_db, to_db));
    auto needed = [&](size_t i) { return i < peaks.size() && peaks[i] * agc > ceiling ? ceiling / (peaks[i] * agc) : 1.0; };
    const double here = needed(k), next = needed(k + 1);
    const double start = std::min(limit_, here);
    const double end = std::min({here, next, start * release});
    const size_t begin = k * block_, n = std::min(block_, pending_.size() - begin);
    for (size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i + 1) / static_cast<double>(n);
      const double gain = DbToLinear(from_db + (to_db - from_db) * t) * (start + (end - start) * t);
      out_.push_back(static_cast<float>(pending_[begin + i] * gain));
    }
    agc_db_ = to_db;
    limit_ = end;
    last_gain_db_ = to_db + 20 * std::log10(end);
    started_ = !settle;
  }
  const size_t used = std::min(emit * block_, pending_.size());
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
  block_peaks_.erase(block_peaks_.begin(), block_peaks_.begin() + static_cast<std::ptrdiff_t>(std::min(emit, whole)));
  if (finish) {
    pending_.clear();
    block_peaks_.clear();
    partial_peak_ = 0;
  }
}

Result<std::span<const float>> LoudnessNormalizer::Process(std::span<const float> input) {
  if (finished_) Start();
  if (auto ok = Measure(input); !ok) return std::unexpected(ok.error());
  EmitBlocks(false);
  return std::span<const float>(out_);
}

Result<std::span<const float>> LoudnessNormalizer::Finish() {
  if (finished_) {
    out_.clear();
    return std::span<const float>(out_);
  }
  EmitBlocks(true);
  finished_ = true;
  return std::span<const float>(out_);
}

}  // namespace ttsd::codec
