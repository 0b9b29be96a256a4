// Copyright 2026 The Wayback Authors.

#include "tests/storage/s3_test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "src/storage/http_client.h"
#include "src/storage/sigv4.h"
#include "wayback/status.h"

namespace wayback::testing {

std::string Pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

bool OnPath(const char* tool) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::string p = path;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (!dir.empty() && ::access((dir + "/" + tool).c_str(), X_OK) == 0) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

namespace {

S3TestServer* g_server = nullptr;
absl::Status g_status;

// Stops the server when the test binary exits.
void StopServer() {
  delete g_server;
  g_server = nullptr;
}

}  // namespace

absl::StatusOr<StartedProcess> StartProcess(
    const std::vector<std::string>& argv, std::string_view marker) {
  int out[2];
  if (::pipe(out) != 0) return absl::InternalError("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    // Die with the test binary, even when it is killed (SIGPIPE, SIGKILL)
    // before its atexit handler can stop us.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() == 1) ::_exit(1);
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[256];
  while (true) {
    size_t at = text.find(marker);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      break;
    }
    ssize_t n = ::read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  size_t at = text.find(marker);
  if (at == std::string::npos) {
    StopProcess(pid);
    return absl::InternalError(
        absl::StrCat(argv[0], " did not start; output: ", text));
  }
  std::string rest = text.substr(at + marker.size());
  return StartedProcess{pid, rest.substr(0, rest.find_first_of("\r\n"))};
}

void StopProcess(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  int status;
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
}

namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

absl::StatusOr<S3TestServer*> S3TestServer::Get() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string script = WAYBACK_SOURCE_DIR "/scripts/ceph-rgw.sh";
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "wayback-rgw-XXXXXX")
            .string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      g_status = absl::InternalError("mkdtemp for the Ceph cluster failed");
      return;
    }
    auto server = std::unique_ptr<S3TestServer>(new S3TestServer());
    // The cluster lives in a subdirectory, which `stop` removes whole; the
    // script's output goes beside it, so that a failure can be shown. Two
    // tries, each in its own directory: the free ports the script picks are
    // only free when it asks, and another process (a parallel test's
    // cluster, any client's ephemeral port) may take one before the daemon
    // binds it. A try that fails or hangs is stopped; its watchdog also
    // stops what is left when this process exits.
    const std::string log = tmpl + "/start.log";
    const absl::Time t0 = absl::Now();
    std::string cmd;
    int rc = -1;
    for (int attempt = 1; attempt <= 2 && rc != 0; ++attempt) {
      server->cluster_dir_ = absl::StrCat(tmpl, "/cluster", attempt);
      cmd = absl::StrCat("timeout 180 bash '", script, "' start '",
                         server->cluster_dir_, "' --owner ", ::getpid(), " > '",
                         log, "' 2>&1");
      rc = std::system(cmd.c_str());
      if (rc != 0) {
        (void)std::system(absl::StrCat("bash '", script, "' stop '",
                                       server->cluster_dir_,
                                       "' >/dev/null 2>&1")
                              .c_str());
      }
    }
    const std::string output = ReadWholeFile(log);
    if (rc != 0) {
      server->cluster_dir_.clear();
      g_status = absl::FailedPreconditionError(absl::StrCat(
          "the S3 tests need a Ceph cluster with RGW and it did not start "
          "(Ceph 16 packages ceph-mon ceph-osd radosgw ceph-common: run "
          "scripts/install-deps.sh); `",
          cmd, "` exited with ", rc, ":\n", output));
      std::filesystem::remove_all(tmpl);
      return;
    }
    std::filesystem::remove(log);
    // DIR/env: KEY=VALUE lines.
    std::map<std::string, std::string> env;
    for (absl::string_view line :
         absl::StrSplit(ReadWholeFile(server->cluster_dir_ + "/env"), '\n',
                        absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(line, absl::MaxSplits('=', 1));
      env[kv.first] = kv.second;
    }
    server->endpoint_ = env["WAYBACK_RGW_ENDPOINT"];
    if (server->endpoint_.empty() || env["AWS_ACCESS_KEY_ID"] != kAccessKey ||
        env["AWS_SECRET_ACCESS_KEY"] != kSecretKey) {
      g_status = absl::InternalError(
          absl::StrCat(server->cluster_dir_,
                       "/env does not hold the endpoint and the keys the "
                       "tests expect"));
      return;
    }
    g_server = server.release();
    std::atexit(&StopServer);
    absl::Status bucket = g_server->EnsureBucket(kBucket, {});
    if (!bucket.ok()) {
      g_status = bucket;
      return;
    }
    std::fprintf(stderr, "S3 tests: Ceph RGW at %s, ready in %.1f s\n",
                 g_server->endpoint_.c_str(),
                 absl::ToDoubleSeconds(absl::Now() - t0));
  });
  if (!g_status.ok()) return g_status;
  return g_server;
}

S3TestServer::~S3TestServer() {
  if (cluster_dir_.empty()) return;
  const std::string cmd =
      absl::StrCat("bash '" WAYBACK_SOURCE_DIR "/scripts/ceph-rgw.sh' stop '",
                   cluster_dir_, "' >/dev/null 2>&1");
  (void)std::system(cmd.c_str());
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(cluster_dir_).parent_path(),
                              ec);
}

s3::HttpResponse S3TestServer::Send(
    const std::string& bucket, const s3::S3Call& call,
    const s3::AwsCredentials* credentials) const {
  s3::S3Options o = FreshOptions();
  o.bucket = bucket;
  if (credentials) o.credentials = *credentials;
  s3::S3Call c = call;
  if (!c.body.empty())
    c.headers.emplace_back("content-md5", s3::Md5Base64(c.body));
  s3::HttpClient http(s3::HttpOptions{});
  return http.Send(s3::BuildS3Request(o, c, s3::AmzDate(absl::Now())));
}

absl::Status S3TestServer::EnsureBucket(const std::string& name,
                                        const BucketFeatures& features) const {
  static std::mutex mu;
  static std::map<std::string, absl::Status>* made =
      new std::map<std::string, absl::Status>();
  std::lock_guard<std::mutex> lock(mu);
  auto it = made->find(name);
  if (it == made->end()) {
    it = made->emplace(name, CreateBucket(name, features)).first;
  }
  return it->second;
}

absl::StatusOr<std::unique_ptr<Storage>> S3TestServer::OpenFreshIn(
    const std::string& bucket) const {
  s3::S3Options o = FreshOptions();
  o.bucket = bucket;
  return s3::OpenS3Storage(o);
}

absl::Status S3TestServer::CreateBucket(const std::string& name,
                                        const BucketFeatures& f) const {
  auto check = [&](const std::string& what, const s3::HttpResponse& r) {
    if (r.transport.ok() && r.status == 200) return absl::OkStatus();
    return absl::InternalError(absl::StrCat(
        "bucket ", name, " at ", endpoint_, ": ", what, ": ",
        r.transport.ok() ? absl::StrCat("HTTP ", r.status, " ", r.body)
                         : std::string(r.transport.message())));
  };
  s3::S3Call create{.method = "PUT"};
  if (f.object_lock) {
    create.headers = {{"x-amz-bucket-object-lock-enabled", "true"}};
  }
  WAYBACK_RETURN_IF_ERROR(check("create", Send(name, create)));
  if (f.versioning && !f.object_lock) {
    const std::string xml =
        "<VersioningConfiguration><Status>Enabled</Status>"
        "</VersioningConfiguration>";
    s3::S3Call c{.method = "PUT", .query = {{"versioning", ""}}, .body = xml};
    WAYBACK_RETURN_IF_ERROR(check("enable versioning", Send(name, c)));
  }
  if (f.object_lock && f.default_retention_days > 0) {
    const std::string xml = absl::StrCat(
        "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</"
        "ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode>"
        "<Days>",
        f.default_retention_days,
        "</Days></DefaultRetention></Rule></ObjectLockConfiguration>");
    s3::S3Call c{.method = "PUT", .query = {{"object-lock", ""}}, .body = xml};
    WAYBACK_RETURN_IF_ERROR(check("default retention", Send(name, c)));
  }
  return absl::OkStatus();
}

s3::S3Options S3TestServer::FreshOptions(const std::string& endpoint) const {
  static std::atomic<int> counter{0};
  s3::S3Options o;
  o.bucket = kBucket;
  o.prefix = absl::StrCat("t", ::getpid(), "-", counter++, "/");
  o.endpoint = endpoint.empty() ? endpoint_ : endpoint;
  o.region = "us-east-1";
  o.path_style = true;
  o.credentials = {kAccessKey, kSecretKey, ""};
  o.part_size = 1 << 20;
  o.max_keys = 3;
  o.retry_base_ms = 5;
  o.retry_cap_ms = 50;
  o.max_attempts = 5;
  o.stall_timeout_s = 2;
  return o;
}

absl::StatusOr<std::unique_ptr<Storage>> S3TestServer::OpenFresh() const {
  return s3::OpenS3Storage(FreshOptions());
}

}  // namespace wayback::testing
