// Test support: Debian's chromium, headless, driven over the Chrome DevTools Protocol through
// --remote-debugging-pipe (JSON messages ending in a NUL byte; chromium reads fd 3, writes fd 4), so no
// WebSocket client and no debugging port are needed.
//   HeadlessChromium c; if (!c.Start(&why)) GTEST_SKIP() << why;
//   c.Open("http://127.0.0.1:5002/"); c.Eval("document.title"); c.Click("#speak");
// Thread-safety: one test thread.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/daemon-process.h"

namespace ttsd::testing {

class HeadlessChromium {
 public:
  using json = nlohmann::json;

  ~HeadlessChromium() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(20000);
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (to_ >= 0) close(to_);
    if (from_ >= 0) close(from_);
  }

  // The chromium binary on PATH, or "" when it is not installed.
  static std::string Binary() {
    for (const char* name : {"chromium", "chromium-browser"}) {
      for (const char* dir : {"/usr/bin/", "/usr/local/bin/", "/snap/bin/"}) {
        const std::string path = std::string(dir) + name;
        if (access(path.c_str(), X_OK) == 0) return path;
      }
    }
    return "";
  }

  // Starts chromium and checks that it answers. False with *why set when it cannot run at all (not
  // installed, or it exits before answering): the caller skips then.
  bool Start(std::string* why) {
    const std::string binary = Binary();
    if (binary.empty()) {
      *why = "chromium is not installed (./install-deps.sh installs Debian's chromium)";
      return false;
    }
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0) {
      *why = "pipe failed";
      return false;
    }
    log_path_ = dir_.path() + "/chromium.log";
    pid_ = fork();
    if (pid_ == 0) {
      // fd 3: commands in; fd 4: replies out. Move the ends clear of 3 and 4 first.
      int in = fcntl(to[0], F_DUPFD, 10), out = fcntl(from[1], F_DUPFD, 10);
      dup2(in, 3);
      dup2(out, 4);
      int log = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(log, 1);
      dup2(log, 2);
      for (int fd = 5; fd < 1024; ++fd) close(fd);
      std::vector<std::string> args = {binary, "--headless=new", "--remote-debugging-pipe", "--disable-gpu",
                                       "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                                       "--disable-extensions", "--user-data-dir=" + dir_.path() + "/profile",
                                       "about:blank"};
      if (geteuid() == 0) args.insert(args.begin() + 1, "--no-sandbox");  // the sandbox refuses root
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(to[0]);
    close(from[1]);
    to_ = to[1];
    from_ = from[0];
    auto version = Call("Browser.getVersion", json::object(), "", std::chrono::seconds(60));
    if (!version) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        *why = "chromium exits at start (cannot run here); its output:\n" + Log();
        return false;
      }
      ADD_FAILURE() << "chromium runs but does not answer on the DevTools pipe; its output:\n" << Log();
      *why = "no answer";
      return false;
    }
    product_ = (*version)["product"].get<std::string>();
    return true;
  }

  // Opens url in a new tab and attaches to it; later calls act on that tab.
  bool Open(const std::string& url) {
    auto target = Call("Target.createTarget", {{"url", url}});
    if (!target) return false;
    auto attached = Call("Target.attachToTarget", {{"targetId", (*target)["targetId"]}, {"flatten", true}});
    if (!attached) return false;
    session_ = (*attached)["sessionId"].get<std::string>();
    return Call("Runtime.enable", json::object(), session_).has_value();
  }

  // Evaluates expression in the page (awaiting a promise) and returns its value (null if none).
  json Eval(const std::string& expression) {
    auto r = Call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}},
                  session_);
    if (!r) return nullptr;
    if (r->contains("exceptionDetails")) {
      ADD_FAILURE() << "page exception: " << (*r)["exceptionDetails"].dump();
      return nullptr;
    }
    const json& result = (*r)["result"];
    return result.contains("value") ? result["value"] : json(nullptr);
  }

  // Waits until expression is true in the page.
  bool WaitFor(const std::string& expression, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Eval("!!(" + expression + ")") == true) return true;
      usleep(50000);
    }
    return false;
  }

  // A real mouse click (pressed and released) at the middle of the element selector names.
  bool Click(const std::string& selector) {
    // Scrolled into view first: a mouse event outside the viewport reaches nothing.
    json rect = Eval("(() => { const e = document.querySelector('" + selector +
                     "'); e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                     " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()");
    if (!rect.is_object()) return false;
    for (const char* type : {"mousePressed", "mouseReleased"}) {
      if (!Call("Input.dispatchMouseEvent",
                {{"type", type}, {"x", rect["x"]}, {"y", rect["y"]}, {"button", "left"}, {"clickCount", 1}}, session_)) {
        return false;
      }
    }
    return true;
  }

  // Lays the page out at width x height CSS pixels, as a browser dock of that size would.
  bool SetViewport(int width, int height) {
    return Call("Emulation.setDeviceMetricsOverride",
                {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}}, session_)
        .has_value();
  }

  // Types text into the focused element, as a keyboard would.
  bool Type(const std::string& text) { return Call("Input.insertText", {{"text", text}}, session_).has_value(); }

  // Presses and releases a key in the focused element, as a keyboard would: "Enter" (which types a line
  // break unless the page prevents it).
  bool Press(const std::string& key) {
    if (key != "Enter") {
      ADD_FAILURE() << "Press knows Enter only, not " << key;
      return false;
    }
    json down = {
        {"type", "keyDown"}, {"key", "Enter"}, {"code", "Enter"}, {"windowsVirtualKeyCode", 13}, {"text", "\r"}};
    json up = {{"type", "keyUp"}, {"key", "Enter"}, {"code", "Enter"}, {"windowsVirtualKeyCode", 13}};
    return Call("Input.dispatchKeyEvent", down, session_).has_value() &&
           Call("Input.dispatchKeyEvent", up, session_).has_value();
  }

  const std::string& product() const { return product_; }
  std::string Log() const {
    std::ifstream in(log_path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  // Sends a command and waits for its result (events in between are dropped).
  std::optional<json> Call(const std::string& method, const json& params, const std::string& session = "",
                           std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const int id = next_id_++;
    json msg = {{"id", id}, {"method", method}, {"params", params}};
    if (!session.empty()) msg["sessionId"] = session;
    std::string bytes = msg.dump();
    bytes.push_back('\0');
    if (write(to_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) return std::nullopt;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t end;
      while ((end = buffer_.find('\0')) == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{from_, POLLIN, 0};
        if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
        char buf[65536];
        ssize_t n = read(from_, buf, sizeof(buf));
        if (n <= 0) return std::nullopt;
        buffer_.append(buf, static_cast<size_t>(n));
      }
      json reply = json::parse(buffer_.substr(0, end), nullptr, false);
      buffer_.erase(0, end + 1);
      if (!reply.is_object() || !reply.contains("id") || reply["id"] != id) continue;
      if (reply.contains("error")) {
        ADD_FAILURE() << method << ": " << reply["error"].dump();
        return std::nullopt;
      }
      return reply["result"];
    }
  }

  TempDir dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  int next_id_ = 1;
  std::string buffer_;
  std::string session_;
  std::string product_;
};

}  // namespace ttsd::testing
