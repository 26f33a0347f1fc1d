#include "ttsd/daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace ttsd::daemon {
namespace {

// "%*": the syslog priority journald reads from the start of a line.
class JournalPriority : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPrefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const char* p = kPrefix[static_cast<int>(msg.level)];
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriority>(); }
};

}  // namespace

void SetupLogging(const std::string& level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  if (std::getenv("JOURNAL_STREAM")) {
    formatter->add_flag<JournalPriority>('*').set_pattern("%*%n: %v");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %n %l: %v");
  }
  sink->set_formatter(std::move(formatter));
  const auto lvl = spdlog::level::from_str(level);
  for (const char* name : {"ttsd", "engine"}) {
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    logger->set_level(lvl);
    logger->flush_on(spdlog::level::info);
    spdlog::drop(name);
    spdlog::register_logger(logger);
    if (std::string(name) == "ttsd") spdlog::set_default_logger(logger);
  }
}

}  // namespace ttsd::daemon
