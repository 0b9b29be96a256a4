// Copyright 2026 The Wayback Authors.
//
// wayback log: every matching mutation with its LSN, txid and commit time
// ("who deleted patient/42, and when?").

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "tools/common.h"
#include "wayback/log.h"

namespace wayback::cli {
namespace {

class LogCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "log",
        "List the mutations of the log that match a key, a prefix, a "
        "time range or an operation");
    flags_.Add(app);
    key_opt_ = app->add_option("--key", key_, "Only this exact key");
    auto* prefix =
        app->add_option("--prefix", prefix_, "Only keys starting with this");
    key_opt_->excludes(prefix);
    app->add_option("--from", from_, "Only commits at or after this TIME");
    app->add_option("--until", until_, "Only commits at or before this TIME");
    app->add_option("--op", op_, "Only put or delete")
        ->check(CLI::IsMember({"put", "delete"}));
    app->add_option("--timeline", timeline_, "Timeline to read")
        ->capture_default_str();
    app->footer(
        "TIME is RFC 3339 with an offset (2026-11-25T10:42:00Z) or "
        "@<unix-ns>.\n"
        "With --json, one JSON object per line.\n\n"
        "Examples:\n"
        "  wayback log --repo ./demo-repo --key patient/000000042 --op delete\n"
        "  wayback log --repo ./demo-repo --prefix patient/000000042/ "
        "--from 2026-11-25T08:00:00Z --until 2026-11-25T09:00:00Z");
    return app;
  }

  int Run(Io& io) override {
    std::optional<CommitTime> from, until;
    if (!from_.empty()) {
      auto t = ParseCommitTime(from_);
      if (!t.ok())
        return Usage(io, "log", absl::StrCat("--from: ", t.status().message()));
      from = *t;
    }
    if (!until_.empty()) {
      auto t = ParseCommitTime(until_);
      if (!t.ok())
        return Usage(io, "log",
                     absl::StrCat("--until: ", t.status().message()));
      until = *t;
    }
    if (from && until && *until < *from) {
      return Usage(io, "log", "--until is before --from");
    }
    auto storage = OpenRepository(flags_.repo);
    if (!storage.ok()) return Fail(io, "log", storage.status());
    LogReaderOptions o;
    o.timeline = timeline_;
    o.start_time = from;
    auto reader = LogReader::Open((*storage)->storage(), o);
    if (!reader.ok()) return Fail(io, "log", reader.status());
    uint64_t matched = 0;
    for (;;) {
      auto next = (*reader)->Next();
      if (!next.ok()) return Fail(io, "log", next.status());
      const LogRecord* rec = *next;
      if (rec == nullptr) break;
      if (until && rec->commit_time > *until) break;
      if (from && rec->commit_time < *from) continue;
      if (rec->type != RecordType::kTransaction) continue;
      auto it = rec->mutations();
      MutationView m;
      while (it.Next(&m)) {
        if (key_opt_->count() > 0 && m.key != key_) continue;
        if (!prefix_.empty() && !absl::StartsWith(AVk(m.key), prefix_))
          continue;
        bool is_put = m.type == MutationType::kPut;
        if (!op_.empty() && (op_ == "put") != is_put) continue;
        ++matched;
        if (flags_.json) {
          json j = {{"lsn", rec->lsn},
                    {"commit_time", FormatCommitTime(rec->commit_time)},
                    {"op", is_put ? "put" : "delete"}};
          j["txid"] = rec->txid ? json(*rec->txid) : json(nullptr);
          PutBytesField(&j, "key", m.key);
          if (is_put) PutBytesField(&j, "value", m.value);
          io.out << j.dump() << "\n";
        } else {
          io.out << absl::StrFormat(
              "LSN %-9d %-14s %s  %-6s %s", rec->lsn,
              rec->txid ? absl::StrCat("txid ", *rec->txid) : std::string("-"),
              FormatCommitTime(rec->commit_time), is_put ? "put" : "delete",
              Printable(m.key));
          if (is_put) io.out << " = " << Printable(m.value, 60);
          io.out << "\n";
        }
      }
    }
    if (!flags_.json) {
      io.err << FormatCount(matched) << " matching mutation(s)\n";
    }
    return kExitOk;
  }

 private:
  static absl::string_view AVk(std::string_view s) {
    return {s.data(), s.size()};
  }

  RepoFlags flags_;
  CLI::Option* key_opt_ = nullptr;
  std::string key_, prefix_, from_, until_, op_;
  TimelineId timeline_ = kFirstTimeline;
};

}  // namespace

std::unique_ptr<Command> NewLogCommand() {
  return std::make_unique<LogCommand>();
}

}  // namespace wayback::cli
