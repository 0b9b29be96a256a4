// Copyright 2026 The Wayback Authors.

#include "tools/common.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "src/workload/workload.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback::cli {
namespace {

namespace fs = std::filesystem;

absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

S3Settings& MutableS3Settings() {
  static S3Settings* settings = new S3Settings;
  return *settings;
}

}  // namespace

void RepoFlags::Add(CLI::App* app, bool required) {
  auto* o =
      app->add_option("--repo", repo,
                      "Repository URI: a directory path, file:///abs/path "
                      "or s3://bucket/prefix?endpoint=...");
  if (required) o->required();
  app->add_flag("--json", json, "Machine-readable JSON output");
  AddS3Flags(app);
}

void AddS3Flags(CLI::App* app) {
  S3Settings& s = MutableS3Settings();
  s = S3Settings();
  const std::string group =
      "S3 (for s3:// URIs; the URI's ?endpoint= and "
      "?region= win over these, these over $AWS_*)";
  app->add_option("--s3-endpoint", s.endpoint,
                  "S3 endpoint, e.g. http://127.0.0.1:9000 (default "
                  "$AWS_ENDPOINT_URL, else AWS)")
      ->group(group);
  app->add_option("--s3-region", s.region,
                  "S3 region (default $AWS_REGION, else us-east-1)")
      ->group(group);
  app->add_option("--aws-access-key-id", s.access_key_id,
                  "Access key id (default $AWS_ACCESS_KEY_ID)")
      ->group(group);
  app->add_option("--aws-secret-access-key", s.secret_access_key,
                  "Secret access key (default $AWS_SECRET_ACCESS_KEY)")
      ->group(group);
  app->add_option("--aws-session-token", s.session_token,
                  "Session token for temporary credentials (default "
                  "$AWS_SESSION_TOKEN)")
      ->group(group);
}

const S3Settings& CliS3Settings() { return MutableS3Settings(); }

absl::StatusOr<std::unique_ptr<Storage>> OpenStorageForCli(
    const std::string& uri, bool create) {
  StorageOpenOptions options;
  options.create = create;
  options.s3 = CliS3Settings();
  return OpenStorage(uri, options);
}

absl::StatusOr<std::unique_ptr<Repository>> OpenRepository(
    const std::string& uri) {
  if (uri.empty()) return absl::InvalidArgumentError("--repo is empty");
  RepositoryOptions options;
  options.s3 = CliS3Settings();
  return Repository::Open(uri, options);
}

absl::StatusOr<std::unique_ptr<Repository>> CreateRepository(
    const std::string& uri, const std::string& source) {
  if (uri.empty()) return absl::InvalidArgumentError("--repo is empty");
  RepositoryOptions options;
  options.s3 = CliS3Settings();
  options.source = source;
  return Repository::Create(uri, options);
}

void TargetFlags::Add(CLI::App* app) {
  opts[0] = app->add_option(
      "--to", to,
      "Stop at this commit time: RFC 3339 with a mandatory offset and up to 9 "
      "fractional digits (2026-11-25T10:42:00.000001234Z, "
      "2026-11-25T11:42:00+01:00) or @<unix-nanoseconds>; transactions "
      "committed at or before it are applied");
  opts[1] = app->add_option("--lsn", lsn, "Stop after the record at this LSN");
  opts[2] = app->add_option("--txid", txid,
                            "Stop after the transaction with this txid");
  opts[3] = app->add_option("--restore-point", restore_point,
                            "Stop at this named restore point");
  opts[4] = app->add_flag("--latest", latest, "Everything in the log");
  opts[5] = app->add_flag("--snapshot-only", snapshot_only,
                          "The newest snapshot alone, without the log");
  exclusive_opt = app->add_flag(
      "--exclusive", exclusive,
      "With --to, --lsn or --txid: stop just before the target instead of "
      "just after it");
}

absl::StatusOr<RecoveryTarget> TargetFlags::Resolve() const {
  std::vector<std::string> given;
  for (CLI::Option* o : opts) {
    if (o != nullptr && o->count() > 0) given.push_back(o->get_name());
  }
  if (given.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        given.empty() ? "no recovery target given"
                      : absl::StrCat("two or more recovery targets given (",
                                     absl::StrJoin(given, ", "), ")"),
        "; give exactly one of --to TIME, --lsn N, --txid ID, "
        "--restore-point NAME, --latest, --snapshot-only"));
  }
  bool inclusive = !exclusive;
  if (exclusive && (latest || snapshot_only || opts[3]->count() > 0)) {
    return absl::InvalidArgumentError(
        "--exclusive applies only to --to, --lsn and --txid");
  }
  if (opts[0]->count() > 0) {
    WAYBACK_ASSIGN_OR_RETURN(CommitTime t, ParseCommitTime(to));
    return RecoveryTarget::Time(t, inclusive);
  }
  if (opts[1]->count() > 0) {
    if (lsn == 0) return absl::InvalidArgumentError("--lsn must be at least 1");
    return RecoveryTarget::AtLsn(lsn, inclusive);
  }
  if (opts[2]->count() > 0) return RecoveryTarget::Txid(txid, inclusive);
  if (opts[3]->count() > 0) {
    if (restore_point.empty()) {
      return absl::InvalidArgumentError("--restore-point needs a name");
    }
    return RecoveryTarget::RestorePoint(restore_point);
  }
  if (latest) return RecoveryTarget::Latest();
  return RecoveryTarget::SnapshotOnly();
}

absl::StatusOr<RecoveryTarget> ParseTargetSpec(const std::string& spec_in) {
  std::string spec = spec_in;
  bool inclusive = true;
  if (absl::EndsWith(spec, ",exclusive")) {
    inclusive = false;
    spec.resize(spec.size() - 10);
  }
  auto number = [&](std::string_view text,
                    const char* what) -> absl::StatusOr<uint64_t> {
    uint64_t v;
    if (!absl::SimpleAtoi(A(text), &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad ", what, " in target \"", spec_in, "\""));
    }
    return v;
  };
  if (spec == "latest" || spec == "snapshot" ||
      absl::StartsWith(spec, "restore-point:")) {
    if (!inclusive) {
      return absl::InvalidArgumentError(absl::StrCat(
          "\",exclusive\" applies only to time, lsn and txid targets: \"",
          spec_in, "\""));
    }
    if (spec == "latest") return RecoveryTarget::Latest();
    if (spec == "snapshot") return RecoveryTarget::SnapshotOnly();
    std::string name = spec.substr(14);
    if (name.empty())
      return absl::InvalidArgumentError("restore-point: needs a name");
    return RecoveryTarget::RestorePoint(name);
  }
  if (absl::StartsWith(spec, "lsn:")) {
    WAYBACK_ASSIGN_OR_RETURN(uint64_t v,
                             number(std::string_view(spec).substr(4), "LSN"));
    if (v == 0) return absl::InvalidArgumentError("lsn must be at least 1");
    return RecoveryTarget::AtLsn(v, inclusive);
  }
  if (absl::StartsWith(spec, "txid:")) {
    WAYBACK_ASSIGN_OR_RETURN(uint64_t v,
                             number(std::string_view(spec).substr(5), "txid"));
    return RecoveryTarget::Txid(v, inclusive);
  }
  auto t = ParseCommitTime(spec);
  if (!t.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad target \"", spec_in, "\": expected ", kTargetSpecHelp,
                     " (", t.status().message(), ")"));
  }
  return RecoveryTarget::Time(*t, inclusive);
}

absl::StatusOr<uint64_t> ParseSizeFlag(const std::string& flag,
                                       const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(text[digits])) ++digits;
  std::string unit = text.substr(digits);
  uint64_t n = 0;
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") {
    scale = 1;
  } else if (unit == "K" || unit == "KiB") {
    scale = 1ull << 10;
  } else if (unit == "M" || unit == "MiB") {
    scale = 1ull << 20;
  } else if (unit == "G" || unit == "GiB") {
    scale = 1ull << 30;
  }
  if (digits == 0 || scale == 0 ||
      !absl::SimpleAtoi(text.substr(0, digits), &n) || n == 0 ||
      n > UINT64_MAX / scale) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": \"", text, "\" is not a size (e.g. 64MiB, 512K, 1048576)"));
  }
  return n * scale;
}

absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag,
                                                 const std::string& text) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad ", flag, " \"", text,
        "\": expected a duration such as 35d, 6h, 90m, 30s, 250ms or 0"));
  };
  if (text == "0") return absl::ZeroDuration();
  // absl::ParseDuration knows every unit but days: rewrite each "<n>d" as
  // hours first, number by number, so "1d12h" becomes "24h12h".
  std::string rewritten;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() &&
           (absl::ascii_isdigit(text[j]) || text[j] == '.')) {
      ++j;
    }
    if (j == i) return bad();
    size_t k = j;
    while (k < text.size() && absl::ascii_isalpha(text[k])) ++k;
    const std::string number = text.substr(i, j - i);
    const std::string unit = text.substr(j, k - j);
    if (unit == "d") {
      double days;
      if (!absl::SimpleAtod(number, &days)) return bad();
      absl::StrAppend(&rewritten, absl::StrFormat("%.9fh", days * 24));
    } else {
      absl::StrAppend(&rewritten, number, unit);
    }
    i = k;
  }
  absl::Duration d;
  if (!absl::ParseDuration(rewritten, &d) || d < absl::ZeroDuration()) {
    return bad();
  }
  return d;
}

int ExitCodeFor(const absl::Status& s) {
  if (s.ok()) return kExitOk;
  return s.code() == absl::StatusCode::kDataLoss ? kExitProblem : kExitUsage;
}

int Fail(Io& io, const std::string& command, const absl::Status& s) {
  io.err << "wayback " << command << ": error: " << s.message() << "\n";
  if (s.code() == absl::StatusCode::kDataLoss) {
    io.err << "  The repository is damaged; run `wayback verify --repo ...` "
              "to list every problem.\n";
  }
  return ExitCodeFor(s);
}

int Usage(Io& io, const std::string& command, const std::string& message) {
  io.err << "wayback " << command << ": error: " << message
         << "\n  Run `wayback " << command
         << " --help` for the flags and examples.\n";
  return kExitUsage;
}

std::string FormatBytes(uint64_t b) {
  if (b < 1024) return absl::StrCat(b, " B");
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b) / 1024;
  int u = 0;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return absl::StrFormat("%.1f %s", v, kUnits[u]);
}

std::string FormatDurationWords(absl::Duration d) {
  if (d < absl::ZeroDuration()) return FormatDurationWords(-d);
  if (d < absl::Seconds(1)) {
    return absl::StrFormat("%.0f ms", absl::ToDoubleMilliseconds(d));
  }
  if (d < absl::Minutes(1)) {
    return absl::StrFormat("%.1f s", absl::ToDoubleSeconds(d));
  }
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 3600) return absl::StrFormat("%d min %d s", s / 60, s % 60);
  if (s < 86400)
    return absl::StrFormat("%d h %d min", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%d d %d h", s / 86400, (s % 86400) / 3600);
}

std::string FormatCount(uint64_t n) {
  // Built forwards rather than with insert(), which GCC 12 at -O3 flags with a
  // false -Wrestrict.
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string DescribeCommit(const std::optional<CommitRef>& c) {
  if (!c) return "none";
  std::string s = absl::StrCat("LSN ", c->lsn);
  if (c->txid) absl::StrAppend(&s, " (txid ", *c->txid, ")");
  absl::StrAppend(&s, " committed ", FormatCommitTime(c->commit_time));
  return s;
}

json CommitJson(const std::optional<CommitRef>& c) {
  if (!c) return nullptr;
  json j = {{"lsn", c->lsn},
            {"commit_time", FormatCommitTime(c->commit_time)},
            {"commit_time_ns", c->commit_time}};
  j["txid"] = c->txid ? json(*c->txid) : json(nullptr);
  return j;
}

json DigestJson(const StateDigest& d) {
  return {{"digest", d.ToString()}, {"pairs", d.count}};
}

json PlanJson(const RecoveryPlan& plan) {
  json j;
  j["target"] = plan.target.ToString();
  j["repository"] = plan.repository;
  j["timeline"] = plan.window.timeline;
  if (plan.snapshot) {
    j["snapshot"] = {
        {"name", plan.snapshot->name},
        {"lsn", plan.snapshot->lsn},
        {"commit_time", FormatCommitTime(plan.snapshot->commit_time)},
        {"pairs", plan.snapshot->pair_count},
        {"bytes", plan.snapshot->size},
        {"kind",
         plan.snapshot->kind == SnapshotKind::kDelta ? "delta" : "full"}};
    json chain = json::array();
    for (const SnapshotInfo& m : plan.snapshot_chain) {
      chain.push_back({{"name", m.name}, {"lsn", m.lsn}, {"bytes", m.size}});
    }
    j["snapshot"]["chain"] = chain;
  } else {
    j["snapshot"] = nullptr;
  }
  j["first_lsn"] = plan.first_lsn;
  j["last_lsn"] = plan.last_lsn;
  j["last_included"] = CommitJson(plan.last_included);
  j["first_excluded"] = CommitJson(plan.first_excluded);
  json segs = json::array();
  for (const SegmentInfo& s : plan.segments) segs.push_back(s.name);
  j["segments"] = segs;
  j["bytes_to_read"] = plan.bytes_to_read;
  j["window"] = {{"earliest_lsn", plan.window.earliest_lsn},
                 {"earliest_time", FormatCommitTime(plan.window.earliest_time)},
                 {"latest_lsn", plan.window.latest_lsn},
                 {"latest_time", FormatCommitTime(plan.window.latest_time)}};
  return j;
}

void PutBytesField(json* obj, const std::string& name, std::string_view bytes) {
  if (IsValidUtf8(bytes)) {
    (*obj)[name] = std::string(bytes);
  } else {
    (*obj)[name + "_b64"] = Base64Encode(bytes);
  }
}

std::string Printable(std::string_view bytes, size_t max_len) {
  bool printable = IsValidUtf8(bytes);
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) printable = false;
  }
  std::string s = printable ? std::string(bytes)
                            : absl::StrCat("b64:", Base64Encode(bytes));
  if (max_len > 0 && s.size() > max_len) {
    // Cut on a UTF-8 character boundary.
    size_t cut = max_len;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80)
      --cut;
    s = absl::StrCat(s.substr(0, cut), "... (", bytes.size(), " bytes)");
  }
  return s;
}

absl::StatusOr<std::unique_ptr<StateTarget>> OpenInto(
    const std::string& into, const RocksDBTargetOptions& rocksdb_options) {
  if (into == "memory") return NewMemoryTarget();
  if (!absl::StartsWith(into, "rocksdb:") || into.size() == 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad --into \"", into, "\": expected rocksdb:PATH or memory"));
  }
  std::string path = into.substr(8);
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (fs::exists(p, ec) && !fs::is_directory(p, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot restore into ", path, ": it is a file, not a directory"));
  }
  fs::path parent = fs::exists(p, ec) ? p : p.parent_path();
  if (!fs::exists(parent, ec)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot restore into ", path, ": its parent directory ",
                     parent.string(), " does not exist"));
  }
  if (!fs::is_directory(parent, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot restore into ", path,
                                                   ": ", parent.string(),
                                                   " is not a directory"));
  }
  if (access(parent.c_str(), W_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot restore into ", path,
                                                   ": ", parent.string(),
                                                   " is not writable"));
  }
  return OpenRocksDBTarget(path, rocksdb_options);
}

namespace {
std::atomic<int> g_stop_signal{0};
void OnStopSignal(int sig) { g_stop_signal.store(sig); }
}  // namespace

StopSignals::StopSignals() {
  g_stop_signal.store(0);
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // No SA_RESTART: a blocked read returns EINTR.
  sigaction(SIGTERM, &sa, &old_term_);
  sigaction(SIGINT, &sa, &old_int_);
}

StopSignals::~StopSignals() {
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGINT, &old_int_, nullptr);
}

int StopSignals::Received() { return g_stop_signal.load(); }

absl::Status WriteAllToFd(int fd, std::string_view data,
                          const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(
          absl::StrCat("cannot write ", what, ": ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status ReplaceFileAtomically(const std::string& path,
                                   const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  absl::Status s = WriteAllToFd(fd, text, tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path,
                                            ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace wayback::cli
