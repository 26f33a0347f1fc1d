// Benchmark support: percentiles of measured samples, one definition for every bench.
//   double p95 = Quantile(ttfa_ms, 0.95);  Summary s = Summarize(ttfa_ms);  json j = s.ToJson();
// Thread-safety: plain functions on values.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace ttsd::bench {

// The q-quantile (0..1) by nearest rank on the sorted samples: the value at index round(q * (n - 1)).
// 0 for no samples.
inline double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(v.size() - 1);
  return v[static_cast<size_t>(pos + 0.5)];
}

struct Summary {
  size_t count = 0;
  double p50 = 0, p95 = 0, p99 = 0, mean = 0, min = 0, max = 0;

  nlohmann::json ToJson() const {
    return {{"count", count}, {"p50", p50}, {"p95", p95}, {"p99", p99}, {"mean", mean}, {"min", min}, {"max", max}};
  }
};

inline Summary Summarize(std::vector<double> v) {
  Summary s;
  s.count = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = Quantile(v, 0.50);
  s.p95 = Quantile(v, 0.95);
  s.p99 = Quantile(v, 0.99);
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  s.min = v.front();
  s.max = v.back();
  return s;
}

}  // namespace ttsd::bench
