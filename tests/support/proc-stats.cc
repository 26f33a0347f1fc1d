#include "proc-stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace ttsd::testing {

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return -1;
  // Fields after the command name (which may hold spaces) start at its closing parenthesis:
  // state is field 3, utime 14, stime 15.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  if (fields.size() < 13) return -1;
  const double ticks = std::stod(fields[11]) + std::stod(fields[12]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long ProcessRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int ProcessOpenFds(pid_t pid) {
  std::error_code ec;
  int n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

int ProcessThreads(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

MachineCpu ReadMachineCpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;  // "cpu": user nice system idle iowait irq softirq steal ...
  MachineCpu m;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (int i = 0; i < 8; ++i) {
    double v = 0;
    if (!(in >> v)) break;
    m.total_s += v / tick;
    if (i != 3 && i != 4) m.busy_s += v / tick;  // idle and iowait are not busy
  }
  return m;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string ActiveBlas() {
  std::error_code ec;
  for (const char* link : {"/etc/alternatives/libblas.so.3-x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libblas.so.3"}) {
    auto target = std::filesystem::canonical(link, ec);
    if (!ec) return target.string();
  }
  return "unknown";
}

RssSampler::RssSampler(pid_t pid, std::chrono::milliseconds period) : pid_(pid) {
  Reset();
  thread_ = std::jthread([this, period](std::stop_token stop) {
    while (!stop.stop_requested()) {
      const long kb = ProcessRssKb(pid_);
      for (long seen = peak_kb_.load(); kb > seen && !peak_kb_.compare_exchange_weak(seen, kb);) {
      }
      std::this_thread::sleep_for(period);
    }
  });
}

RssSampler::~RssSampler() = default;  // the jthread asks its loop to stop and joins

}  // namespace ttsd::testing
