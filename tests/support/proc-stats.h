// Benchmark and test support: CPU time and memory of a process, and of the whole machine, read from /proc.
//   double cpu0 = ProcessCpuSeconds(pid); ... double pct = 100 * (ProcessCpuSeconds(pid) - cpu0) / wall_s;
//   RssSampler rss(pid); ... rss.peak_kb();   // VmRSS sampled every 100 ms on its own thread
// Thread-safety: the functions are reentrant; an RssSampler's methods may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace ttsd::testing {

// utime + stime of pid (all its threads) in seconds; -1 when /proc/PID/stat cannot be read.
double ProcessCpuSeconds(pid_t pid);
// VmRSS of pid in KiB; -1 when unreadable.
long ProcessRssKb(pid_t pid);
// Entries of /proc/PID/fd (open descriptors); -1 when unreadable.
int ProcessOpenFds(pid_t pid);
// The Threads: line of /proc/PID/status; -1 when unreadable.
int ProcessThreads(pid_t pid);
// CPU seconds this process has used (user + system, all threads).
double SelfCpuSeconds();

// Busy and total CPU time of the machine, all cores together, from /proc/stat's "cpu" line, in seconds.
struct MachineCpu {
  double busy_s = 0, total_s = 0;
};
MachineCpu ReadMachineCpu();

// /proc/loadavg's first three fields, e.g. "0.42 0.76 1.48".
std::string LoadAverage();
// The file that libblas.so.3 resolves to through the alternatives system (which BLAS torch uses).
std::string ActiveBlas();

// Samples a process's VmRSS on a thread of its own until destroyed.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid, std::chrono::milliseconds period = std::chrono::milliseconds(100));
  ~RssSampler();
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  long peak_kb() const { return peak_kb_.load(); }  // highest VmRSS seen since start or Reset()
  void Reset() { peak_kb_.store(ProcessRssKb(pid_)); }

 private:
  pid_t pid_;
  std::atomic<long> peak_kb_{0};
  std::jthread thread_;
};

}  // namespace ttsd::testing
