// Copyright 2026 The Wayback Authors.

#include "tests/storage/s3_test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace wayback::testing {
namespace {}  // namespace

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

absl::StatusOr<S3TestServer*> S3TestServer::Get() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("WAYBACK_S3RVER");
    std::string s3rver =
        env ? env : std::string(WAYBACK_SOURCE_DIR "/node_modules/.bin/s3rver");
    if (!OnPath("node")) {
      g_status = absl::UnavailableError("SKIP: node is not installed");
      return;
    }
    if (::access(s3rver.c_str(), X_OK) != 0) {
      g_status = absl::UnavailableError(
          absl::StrCat("SKIP: s3rver not found at ", s3rver,
                       " (run scripts/install-deps.sh or npm ci)"));
      return;
    }
    // s3rver 3.7.1 makes list continuation tokens with DES, which OpenSSL 3
    // (Node >= 17) only offers through the legacy provider.
    const bool legacy =
        std::system("node --openssl-legacy-provider -e 0 >/dev/null 2>&1") == 0;
    auto server = std::unique_ptr<S3TestServer>(new S3TestServer());
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "wayback-s3rver-XXXXXX")
            .string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      g_status = absl::InternalError("mkdtemp for s3rver failed");
      return;
    }
    server->data_dir_ = tmpl;
    std::vector<std::string> argv = {"node"};
    if (legacy) argv.push_back("--openssl-legacy-provider");
    for (const char* a :
         {s3rver.c_str(), "-d", tmpl.c_str(), "-a", "127.0.0.1", "-p", "0",
          "--silent", "--configure-bucket", kBucket}) {
      argv.push_back(a);
    }
    absl::StatusOr<StartedProcess> p = StartProcess(argv, "listening on ");
    if (!p.ok()) {
      g_status = p.status();
      return;
    }
    server->pid_ = p->pid;
    std::string addr = p->rest_of_line;
    server->endpoint_ = "http://" + addr;
    g_server = server.release();
    std::atexit(&StopServer);
  });
  if (!g_status.ok()) return g_status;
  return g_server;
}

S3TestServer::~S3TestServer() {
  StopProcess(pid_);
  std::error_code ec;
  if (!data_dir_.empty()) std::filesystem::remove_all(data_dir_, ec);
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
