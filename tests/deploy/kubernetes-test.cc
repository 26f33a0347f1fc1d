// The Kubernetes manifests of deploy/kubernetes/ (every *.yaml there): valid for the Kubernetes API, offline
// and strictly (kubernetes-validate, pinned in install-deps.sh, in .venv/kubernetes: unknown fields refused);
// consistent with one another and with ttsd (the grace period covers the preStop sleep, ttsd's drain-timeout
// and its flush; the probes GET /health on the HTTP port; the Service's ports are the config's; the PDB and
// the Service select the Deployment's pods; the config's paths are the mounted volumes); every ConfigMap's
// ttsd.toml accepted by ttsd itself (--print-config, which validates and exits); and the probe's GET
// passing against a ttsd that serves with the CPU ConfigMap's file and failing once that ttsd drains.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/daemon-process.h"
#include "support/http-client.h"
#include "support/run-command.h"

namespace ttsd::testing {
namespace {

using json = nlohmann::json;

const std::string kPython = std::string(TTSD_SOURCE_DIR) + "/.venv/kubernetes/bin/python";
const std::string kManifests = std::string(TTSD_SOURCE_DIR) + "/deploy/kubernetes";
const std::string kLoader = std::string(TTSD_SOURCE_DIR) + "/tests/deploy/kubernetes_manifests.py";
// The oldest Kubernetes the manifests are written for, and the newest the pinned validator has schemas of.
const std::vector<std::string> kVersions = {"1.29", "1.37"};
// After the drain ttsd gives clients that stopped reading 2 s more (Server::DrainTick).
constexpr int kFlushS = 2;

std::vector<std::string> ManifestFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kManifests)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "0.0.0.0:5002" and "tcp://0.0.0.0:10200": the port.
int ListenPort(const std::string& listen) { return std::stoi(listen.substr(listen.rfind(':') + 1)); }

// A CPU quantity: "2", "500m".
double Cores(const std::string& q) { return q.ends_with("m") ? std::stod(q) / 1000 : std::stod(q); }

// The exit status of a shell command line.
int Shell(const std::string& script) {
  auto r = RunCommand({"/bin/sh", "-c", script});
  return r ? r->exit_code : -1;
}

class KubernetesManifests : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kPython.c_str(), X_OK), 0) << kPython << " is missing: ./install-deps.sh --test makes it";
    files_ = ManifestFiles();
    ASSERT_GE(files_.size(), 3u) << "deploy/kubernetes/*.yaml";
    std::vector<std::string> argv = {kPython, kLoader};
    argv.insert(argv.end(), files_.begin(), files_.end());
    auto run = RunCommand(argv);
    ASSERT_TRUE(run && run->exit_code == 0) << (run ? run->out : "cannot run " + kPython);
    docs_ = json::parse(run->out);
    for (const auto& doc : docs_) {
      if (doc["kind"] == "Deployment") deployments_.push_back(doc);
    }
    ASSERT_EQ(deployments_.size(), 2u) << "a CPU and a GPU Deployment";
  }

  std::vector<json> OfKind(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& doc : docs_) {
      if (doc["kind"] == kind) out.push_back(doc);
    }
    return out;
  }
  static const json& Pod(const json& deployment) { return deployment["spec"]["template"]["spec"]; }
  static const json& Container(const json& deployment) {
    const json& containers = Pod(deployment)["containers"];
    EXPECT_EQ(containers.size(), 1u);
    EXPECT_EQ(containers[0]["name"], "ttsd");
    return containers[0];
  }
  static int ContainerPort(const json& container, const std::string& name) {
    for (const auto& p : container["ports"]) {
      if (p["name"] == name) return p["containerPort"];
    }
    ADD_FAILURE() << "no container port named " << name;
    return -1;
  }
  // The volume of the pod that has `field` (configMap, secret, persistentVolumeClaim, emptyDir), and where the
  // container mounts it.
  static std::pair<json, std::string> Mounted(const json& deployment, const std::string& field) {
    for (const auto& v : Pod(deployment)["volumes"]) {
      if (!v.contains(field)) continue;
      for (const auto& m : Container(deployment)["volumeMounts"]) {
        if (m["name"] == v["name"]) return {v, m["mountPath"]};
      }
    }
    return {json(), ""};
  }
  // The ConfigMap the Deployment mounts, from the same file (the CPU and GPU files hold one each, same name).
  json ConfigOf(const json& deployment) const {
    const auto [volume, path] = Mounted(deployment, "configMap");
    for (const auto& doc : OfKind("ConfigMap")) {
      if (!volume.is_null() && doc["metadata"]["name"] == volume["configMap"]["name"] &&
          doc["x-file"] == deployment["x-file"] && doc.contains("x-ttsd-toml")) {
        return doc;
      }
    }
    ADD_FAILURE() << deployment["x-file"] << ": no ConfigMap with ttsd.toml mounted from the same file";
    return json::object();
  }
  static json Toml(const json& config) { return config.value("x-ttsd-toml", json::object()); }

  std::vector<std::string> files_;
  json docs_;
  std::vector<json> deployments_;
};

TEST_F(KubernetesManifests, ValidAgainstTheKubernetesSchemasStrictly) {
  std::vector<std::string> argv = {kPython, "-m", "kubernetes_validate", "--strict"};
  for (const auto& v : kVersions) argv.insert(argv.end(), {"-k", v});
  argv.insert(argv.end(), files_.begin(), files_.end());
  auto run = RunCommand(argv);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->exit_code, 0) << run->out;
  // A kind or apiVersion it has no schema for is only a WARN, exit status 0: every resource must pass.
  std::istringstream lines(run->out);
  size_t passed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (line.starts_with("INFO ") && line.find(" passed for resource ") != std::string::npos) {
      ++passed;
    } else {
      ADD_FAILURE() << line;
    }
  }
  EXPECT_EQ(passed, docs_.size() * kVersions.size()) << run->out;
  std::printf("[ KUBERNETES ] kubernetes-validate --strict: %zu resources in %zu files, Kubernetes %s and %s, %.1f s\n",
              docs_.size(), files_.size(), kVersions[0].c_str(), kVersions[1].c_str(), run->wall_s);
}

TEST_F(KubernetesManifests, TheGracePeriodCoversThePreStopSleepAndTheDrain) {
  for (const auto& d : deployments_) {
    SCOPED_TRACE(d["x-file"].get<std::string>());
    const json toml = Toml(ConfigOf(d));
    const int drain = toml.value("drain-timeout", 10);                    // ttsd's default
    const int grace = Pod(d).value("terminationGracePeriodSeconds", 30);  // Kubernetes' default
    const json pre_stop = Container(d)["lifecycle"]["preStop"]["exec"]["command"];
    ASSERT_EQ(pre_stop.size(), 2u) << pre_stop;
    EXPECT_EQ(pre_stop[0], "sleep");
    const int sleep_s = std::stoi(pre_stop[1].get<std::string>());
    EXPECT_GE(sleep_s, 5) << "endpoints need seconds to drop the pod";
    EXPECT_GT(grace, sleep_s + drain + kFlushS) << "SIGKILL would cut the drain short";
  }
}

TEST_F(KubernetesManifests, ProbesGetHealthOnTheHttpPort) {
  for (const auto& d : deployments_) {
    SCOPED_TRACE(d["x-file"].get<std::string>());
    const json toml = Toml(ConfigOf(d));
    const json& c = Container(d);
    const int port = ListenPort(toml.value("http", "127.0.0.1:5002"));
    EXPECT_EQ(ContainerPort(c, "http"), port);
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/health";
    for (const char* kind : {"startupProbe", "readinessProbe", "livenessProbe"}) {
      SCOPED_TRACE(kind);
      ASSERT_TRUE(c.contains(kind));
      const json& probe = c[kind];
      // The kubelet's own GET: no token, which ttsd answers with its status alone (an exec'd curl
      // would need curl in the image and the token in the probe).
      ASSERT_TRUE(probe.contains("httpGet")) << probe;
      EXPECT_EQ(probe["httpGet"]["path"], "/health");
      const json& p = probe["httpGet"]["port"];
      EXPECT_EQ(p.is_string() ? ContainerPort(c, p.get<std::string>()) : p.get<int>(), port);
      EXPECT_FALSE(probe["httpGet"].contains("httpHeaders")) << "a header in the pod spec is no secret";
    }
  }
}

TEST_F(KubernetesManifests, TheServiceAndThePdbSelectTheDeploymentsPodsOnTheConfigsPorts) {
  const auto services = OfKind("Service");
  const auto pdbs = OfKind("PodDisruptionBudget");
  ASSERT_EQ(services.size(), 1u);
  ASSERT_EQ(pdbs.size(), 1u);
  const json& service = services[0];
  const json& pdb = pdbs[0];
  for (const auto& d : deployments_) {
    SCOPED_TRACE(d["x-file"].get<std::string>());
    const json& labels = d["spec"]["template"]["metadata"]["labels"];
    const json& selector = d["spec"]["selector"]["matchLabels"];
    for (const auto& [key, value] : selector.items()) EXPECT_EQ(labels.value(key, ""), value) << key;
    EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"], selector);
    EXPECT_EQ(service["spec"]["selector"], selector);
    EXPECT_EQ(pdb["spec"].value("maxUnavailable", 0), 1);
    EXPECT_GE(d["spec"].value("replicas", 1), 2) << "with one replica every eviction takes the service down";

    const json toml = Toml(ConfigOf(d));
    const json& c = Container(d);
    std::map<std::string, int> wanted = {{"http", ListenPort(toml.value("http", "127.0.0.1:5002"))}};
    ASSERT_TRUE(toml.contains("wyoming"));
    wanted["wyoming"] = ListenPort(toml["wyoming"].get<std::string>());
    for (const auto& [name, port] : wanted) {
      EXPECT_EQ(ContainerPort(c, name), port) << name;
      bool found = false;
      for (const auto& p : service["spec"]["ports"]) {
        if (p["name"] != name) continue;
        found = true;
        EXPECT_EQ(p["port"], port) << name;
        const json& target = p.value("targetPort", p["port"]);
        EXPECT_EQ(target.is_string() ? ContainerPort(c, target.get<std::string>()) : target.get<int>(), port) << name;
      }
      EXPECT_TRUE(found) << "the Service has no port named " << name;
    }
    // Listening beyond loopback: the addresses a pod's ports need.
    EXPECT_TRUE(toml["http"].get<std::string>().starts_with("0.0.0.0:"));
    EXPECT_TRUE(toml["wyoming"].get<std::string>().starts_with("tcp://0.0.0.0:"));
  }
}

TEST_F(KubernetesManifests, TheConfigsPathsAreTheMountedVolumesOnAReadOnlyRoot) {
  for (const auto& d : deployments_) {
    SCOPED_TRACE(d["x-file"].get<std::string>());
    const json toml = Toml(ConfigOf(d));
    const json& c = Container(d);
    const auto [config, config_dir] = Mounted(d, "configMap");
    const json command = c["command"];
    ASSERT_EQ(command.size(), 3u) << command;
    EXPECT_EQ(command[1], "--config");
    EXPECT_EQ(command[2], config_dir + "/ttsd.toml");

    const auto [secret, secret_dir] = Mounted(d, "secret");
    ASSERT_FALSE(secret.is_null());
    ASSERT_EQ(secret["secret"]["items"].size(), 1u);
    EXPECT_EQ(toml.value("http-token-file", ""),
              secret_dir + "/" + secret["secret"]["items"][0]["path"].get<std::string>());
    EXPECT_EQ(secret["secret"].value("defaultMode", 0) & 0040, 0040) << "ttsd reads it through fsGroup";

    const auto [store, store_dir] = Mounted(d, "persistentVolumeClaim");
    ASSERT_FALSE(store.is_null());
    EXPECT_TRUE(toml.value("voice-store", "").starts_with(store_dir + "/")) << toml.value("voice-store", "");

    // The socket's directory is ttsd's own (it refuses one others may write to, as an emptyDir's root is).
    const auto [run, run_dir] = Mounted(d, "emptyDir");
    const std::filesystem::path socket = toml.value("socket", "");
    EXPECT_NE(socket.parent_path().string(), run_dir);
    bool on_an_empty_dir = false;
    for (const auto& v : Pod(d)["volumes"]) {
      if (!v.contains("emptyDir")) continue;
      for (const auto& m : c["volumeMounts"]) {
        if (m["name"] == v["name"] && socket.parent_path().parent_path() == m["mountPath"].get<std::string>()) {
          on_an_empty_dir = true;
        }
      }
    }
    EXPECT_TRUE(on_an_empty_dir) << socket;
    for (const auto& e : c["env"]) {
      if (e["name"] == "TTSD_SOCKET") {
        EXPECT_EQ(e["value"], socket.string());
      }
    }

    EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
    EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
    EXPECT_EQ(Pod(d)["securityContext"]["runAsNonRoot"], true);

    // Cores for the inference threads, and a GPU where the config asks for cuda.
    const json& limits = c["resources"]["limits"];
    EXPECT_EQ(c["resources"]["requests"], limits) << "Guaranteed QoS";
    EXPECT_LE(toml.value("workers", 2) * toml.value("threads", 1), Cores(limits["cpu"].get<std::string>()));
    const bool cuda = toml.value("device", "cpu").starts_with("cuda");
    EXPECT_EQ(limits.contains("nvidia.com/gpu"), cuda);
    EXPECT_EQ(toml.value("dtype", "fp32") == "fp16", cuda);
  }
}

TEST_F(KubernetesManifests, TtsdAcceptsEveryConfigMapsTtsdToml) {
  auto help = RunCommand({TtsdBinary(), "--help"});
  ASSERT_TRUE(help && help->exit_code == 0);
  std::set<std::string> options;
  const std::regex flag(R"(--([a-z0-9_-]+))");
  for (std::sregex_iterator it(help->out.begin(), help->out.end(), flag), end; it != end; ++it)
    options.insert((*it)[1]);
  for (const char* not_a_setting : {"help", "version", "config", "print-config"}) options.erase(not_a_setting);
  TempDir dir;
  const std::string token = dir.path() + "/http-token";
  std::ofstream(token) << "a-token";
  for (const auto& config : OfKind("ConfigMap")) {
    SCOPED_TRACE(config["x-file"].get<std::string>());
    const json toml = Toml(config);
    ASSERT_FALSE(toml.empty());
    // ttsd (CLI11) ignores a key it does not know: each must be one of its options.
    for (const auto& [key, value] : toml.items()) EXPECT_TRUE(options.count(key)) << "ttsd has no --" << key;
    const std::string path = dir.path() + "/ttsd.toml";
    std::ofstream(path) << config["data"]["ttsd.toml"].get<std::string>();
    // As the pod's would, it reads the token's file (absent here), so the key is in effect.
    auto missing = RunCommand({TtsdBinary(), "--config", path, "--print-config"});
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->exit_code, 2) << missing->out;
    EXPECT_NE(missing->out.find("cannot read http-token-file " + toml.value("http-token-file", "?")), std::string::npos)
        << missing->out;
    auto run = RunCommand({TtsdBinary(), "--config", path, "--http-token-file", token, "--print-config"});
    ASSERT_TRUE(run);
    ASSERT_EQ(run->exit_code, 0) << run->out;
    std::set<std::string> printed;
    std::istringstream words(run->out);
    for (std::string w; words >> w;) printed.insert(w);
    for (const std::string& setting :
         {"drain_timeout_s=" + std::to_string(toml.value("drain-timeout", -1)), "http=" + toml.value("http", "?"),
          "wyoming=" + toml.value("wyoming", "?"), "voice_store=" + toml.value("voice-store", "?"),
          "socket=" + toml.value("socket", "?"), "device=" + toml.value("device", "?"),
          std::string("http_token=(set)")}) {
      EXPECT_TRUE(printed.count(setting)) << setting << " not in: " << run->out;
    }
  }
}

// The readiness probe's GET as the kubelet sends it, against ttsd started with the CPU ConfigMap's ttsd.toml
// as it is; flags (which win over the file) put the pod's paths and addresses on this machine: the fixture
// voices, a private socket and voice store, loopback ports, a token file. It passes while ttsd serves (with
// the status alone; the API still wants the token), and fails once SIGTERM has started the drain (ttsd's
// HTTP port is closed then) while an open request still keeps ttsd running.
TEST_F(KubernetesManifests, TheProbePassesWhileTtsdServesAndFailsWhileItDrains) {
  const json* cpu = nullptr;
  for (const auto& d : deployments_) {
    if (!Toml(ConfigOf(d)).value("device", "cpu").starts_with("cuda")) cpu = &d;
  }
  ASSERT_TRUE(cpu);
  const json toml = Toml(ConfigOf(*cpu));
  TempDir dir;
  const std::string config = dir.path() + "/ttsd.toml";
  std::ofstream(config) << ConfigOf(*cpu)["data"]["ttsd.toml"].get<std::string>();
  // Without a final newline, as kubectl create secret --from-literal writes it.
  const std::string token = dir.path() + "/http-token";
  std::ofstream(token) << "the-probe-test-token";
  DaemonProcess daemon(
      {"--config", config, "--http", "127.0.0.1:0", "--wyoming", "tcp://127.0.0.1:0", "--http-token-file", token});
  const int port = HttpPort(daemon);
  ASSERT_GT(port, 0);
  // What the kubelet sends for the readiness probe: GET on the pod's address, no token.
  const json& get = Container(*cpu)["readinessProbe"]["httpGet"];
  ASSERT_EQ(get["port"], "http");
  const std::string probe = "curl -fsS -m 2 -H 'Host: 10.244.1.7:" +
                            std::to_string(ListenPort(toml["http"].get<std::string>())) + "' http://127.0.0.1:" +
                            std::to_string(port) + get["path"].get<std::string>();
  auto served = RunCommand({"/bin/sh", "-c", probe});
  ASSERT_TRUE(served);
  EXPECT_EQ(served->exit_code, 0) << probe << "\n" << daemon.Log();
  EXPECT_EQ(served->out, R"({"status":"ok"})") << "the probe learns that ttsd is up and nothing more";
  EXPECT_NE(Shell("curl -fsS -o /dev/null -m 2 -H 'Host: 10.244.1.7' http://127.0.0.1:" + std::to_string(port) +
                  "/v1/voices"),
            0)
      << "the voices answered without the token";

  RawClient client(daemon.socket_path());
  client.Handshake();
  protocol::SynthesizeRequest open;
  open.final = false;  // streamed text: open until its last piece
  client.Synthesize(1, open);
  auto accepted = client.Read();
  ASSERT_TRUE(accepted);
  ASSERT_EQ(accepted->header.type, protocol::FrameType::kAccepted);
  kill(daemon.pid(), SIGTERM);
  ASSERT_TRUE(daemon.WaitForLog("shutting down")) << daemon.Log();
  const int draining = Shell(probe);
  EXPECT_NE(draining, 0) << "the probe passed while ttsd drained";
  EXPECT_FALSE(daemon.Exited()) << "ttsd did not wait for the open request:\n" << daemon.Log();
  std::printf("[ KUBERNETES ] probe while serving: 0; while draining: exit status %d\n", draining);
  client.SendText(1, "Finishing up.", true);
  EXPECT_TRUE(CollectRequest(client, 1).last);
  EXPECT_EQ(daemon.Stop(), 0) << daemon.Log();
}

}  // namespace
}  // namespace ttsd::testing
