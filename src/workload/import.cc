// Copyright 2026 The Wayback Authors.
//
// JSONL import (docs/import_format.md). The per-line parser is a pure function
// so that it can be fuzzed on its own; ImportJsonl() adds the line numbers,
// the ordering check and the writing.

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "src/util/errors.h"
#include "src/workload/workload.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view what) {
  return absl::InvalidArgumentError(AV(what));
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the
// bracketed part means nothing to a user.
std::string CleanJsonError(const char* what) {
  std::string s = what;
  if (!s.empty() && s[0] == '[') {
    size_t end = s.find("] ");
    if (end != std::string::npos) s.erase(0, end + 2);
  }
  return s;
}

// Reads the text or the _b64 form of field `name` (exactly one must be set).
absl::StatusOr<std::string> BytesField(const json& obj, const std::string& name,
                                       std::string_view where) {
  auto text = obj.find(name);
  auto b64 = obj.find(name + "_b64");
  if (text != obj.end() && b64 != obj.end()) {
    return Bad(absl::StrCat(AV(where), ": both \"", name, "\" and \"", name,
                            "_b64\" given; use one"));
  }
  if (text == obj.end() && b64 == obj.end()) {
    return Bad(absl::StrCat(AV(where), ": missing \"", name, "\" (or \"", name,
                            "_b64\")"));
  }
  const json& v = text != obj.end() ? *text : *b64;
  if (!v.is_string()) {
    return Bad(absl::StrCat(AV(where), ": \"",
                            text != obj.end() ? name : name + "_b64",
                            "\" must be a string"));
  }
  const std::string& s = v.get_ref<const std::string&>();
  if (text != obj.end()) return s;
  auto decoded = Base64Decode(s);
  if (!decoded.ok()) {
    return Bad(absl::StrCat(AV(where), ": \"", name,
                            "_b64\": ", decoded.status().message()));
  }
  return *std::move(decoded);
}

absl::Status OnlyFields(const json& obj,
                        std::initializer_list<const char*> allowed,
                        std::string_view where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      return Bad(absl::StrCat(AV(where), ": unknown field \"", it.key(), "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CommitTime> TimeField(const json& obj) {
  auto t = obj.find("time");
  if (t == obj.end()) return Bad("missing \"time\"");
  if (!t->is_string()) {
    return Bad(
        "\"time\" must be a string (RFC 3339 with an offset, or "
        "\"@<unix-nanoseconds>\")");
  }
  auto parsed = ParseCommitTime(t->get_ref<const std::string&>());
  if (!parsed.ok()) {
    return Bad(absl::StrCat("\"time\": ", parsed.status().message()));
  }
  return *parsed;
}

absl::StatusOr<std::optional<uint64_t>> PositionField(const json& obj) {
  auto p = obj.find("pos");
  if (p == obj.end()) return std::optional<uint64_t>();
  if (!p->is_number_unsigned()) {
    return Bad("\"pos\" must be a non-negative integer below 2^64");
  }
  return std::optional<uint64_t>(p->get<uint64_t>());
}

}  // namespace

absl::StatusOr<ImportEvent> ParseImportLine(std::string_view line) {
  json obj;
  try {
    obj = json::parse(line.begin(), line.end());
  } catch (const json::exception& e) {
    return Bad(absl::StrCat("bad JSON: ", CleanJsonError(e.what())));
  }
  if (!obj.is_object()) return Bad("a line must be one JSON object");
  ImportEvent event;
  if (obj.contains("restore_point")) {
    WAYBACK_RETURN_IF_ERROR(
        OnlyFields(obj, {"restore_point", "time", "pos"}, "restore point"));
    WAYBACK_ASSIGN_OR_RETURN(event.position, PositionField(obj));
    const json& name = obj["restore_point"];
    if (!name.is_string() || name.get_ref<const std::string&>().empty()) {
      return Bad("\"restore_point\" must be a non-empty string");
    }
    if (name.get_ref<const std::string&>().size() > 1024) {
      return Bad("\"restore_point\" is longer than 1024 bytes");
    }
    event.kind = ImportEvent::Kind::kRestorePoint;
    event.restore_point = name.get<std::string>();
    WAYBACK_ASSIGN_OR_RETURN(event.commit_time, TimeField(obj));
    return event;
  }
  WAYBACK_RETURN_IF_ERROR(
      OnlyFields(obj, {"txid", "time", "ops", "pos"}, "transaction"));
  WAYBACK_ASSIGN_OR_RETURN(event.position, PositionField(obj));
  WAYBACK_ASSIGN_OR_RETURN(event.commit_time, TimeField(obj));
  event.txn.commit_time = event.commit_time;
  if (auto t = obj.find("txid"); t != obj.end()) {
    if (!t->is_number_unsigned()) {
      return Bad("\"txid\" must be a non-negative integer");
    }
    event.txn.txid = t->get<uint64_t>();
  }
  auto ops = obj.find("ops");
  if (ops == obj.end()) {
    return Bad("missing \"ops\" (or \"restore_point\" for a restore point)");
  }
  if (!ops->is_array()) return Bad("\"ops\" must be an array");
  for (size_t i = 0; i < ops->size(); ++i) {
    const json& op = (*ops)[i];
    std::string where = absl::StrCat("ops[", i, "]");
    if (!op.is_object()) return Bad(absl::StrCat(where, " must be an object"));
    auto kind = op.find("op");
    if (kind == op.end()) return Bad(absl::StrCat(where, ": missing \"op\""));
    if (!kind->is_string()) {
      return Bad(absl::StrCat(where, ": \"op\" must be \"put\" or \"delete\""));
    }
    const std::string& k = kind->get_ref<const std::string&>();
    if (k == "put") {
      WAYBACK_RETURN_IF_ERROR(OnlyFields(
          op, {"op", "key", "key_b64", "value", "value_b64"}, where));
      WAYBACK_ASSIGN_OR_RETURN(std::string key, BytesField(op, "key", where));
      WAYBACK_ASSIGN_OR_RETURN(std::string value,
                               BytesField(op, "value", where));
      event.txn.mutations.push_back(
          {MutationType::kPut, std::move(key), std::move(value)});
    } else if (k == "delete") {
      WAYBACK_RETURN_IF_ERROR(OnlyFields(op, {"op", "key", "key_b64"}, where));
      WAYBACK_ASSIGN_OR_RETURN(std::string key, BytesField(op, "key", where));
      event.txn.mutations.push_back(
          {MutationType::kDelete, std::move(key), {}});
    } else {
      return Bad(absl::StrCat(where, ": unknown op \"", k,
                              "\" (expected \"put\" or \"delete\")"));
    }
  }
  return event;
}

namespace {

// The writer, the state (for snapshots) and the counters of one import.
class Importer {
 public:
  Importer(Storage* storage, const ImportOptions& options)
      : storage_(storage), options_(options) {}

  absl::Status Open() {
    LogWriterOptions w;
    // Version 2: it stores the lines' source positions ("pos"). The
    // repository has its identity (ImportJsonl creates it), which v2 needs.
    w.format_version = 2;
    w.durability = Durability::kBuffered;
    w.clock = &clock_;
    w.segment_max_bytes = 16ull << 20;
    w.segment_max_age = absl::Hours(1);
    WAYBACK_ASSIGN_OR_RETURN(writer_, LogWriter::Open(storage_, w));
    return absl::OkStatus();
  }

  // Takes the event to store its position in the transaction.
  absl::Status Add(ImportEvent& e) {
    clock_.Set(e.commit_time);
    if (e.kind == ImportEvent::Kind::kRestorePoint) {
      WAYBACK_ASSIGN_OR_RETURN(result_.last_lsn,
                               writer_->AppendRestorePoint(
                                   e.restore_point, e.commit_time, e.position));
      ++result_.restore_points;
    } else {
      e.txn.source_position = e.position;
      WAYBACK_ASSIGN_OR_RETURN(result_.last_lsn, writer_->Append(e.txn));
      ++result_.transactions;
      result_.mutations += e.txn.mutations.size();
      Apply(e.txn);
    }
    result_.last_commit_time = e.commit_time;
    if (e.kind == ImportEvent::Kind::kTransaction &&
        options_.snapshot_every > 0 &&
        result_.transactions % options_.snapshot_every == 0) {
      WAYBACK_RETURN_IF_ERROR(Snapshot());
    }
    return absl::OkStatus();
  }

  absl::Status Close() {
    if (writer_ == nullptr) return absl::OkStatus();
    absl::Status s = writer_->Sync();
    absl::Status c = writer_->Close();
    writer_.reset();
    return s.ok() ? c : s;
  }

  ImportResult& result() { return result_; }

 private:
  void Apply(const Transaction& t) {
    for (const Mutation& m : t.mutations) {
      auto it = state_.find(m.key);
      if (it != state_.end()) {
        result_.final_digest.Remove(it->first, it->second);
        if (m.type == MutationType::kDelete) {
          state_.erase(it);
          continue;
        }
        it->second = m.value;
        result_.final_digest.Add(m.key, m.value);
      } else if (m.type == MutationType::kPut) {
        state_.emplace(m.key, m.value);
        result_.final_digest.Add(m.key, m.value);
      }
    }
  }

  // The snapshot claims the state as of last_lsn, so that LSN must be durable
  // first.
  absl::Status Snapshot() {
    WAYBACK_RETURN_IF_ERROR(writer_->Sync());
    SnapshotWriterOptions o;
    o.lsn = result_.last_lsn;
    o.commit_time = result_.last_commit_time;
    auto it = state_.begin();
    WAYBACK_RETURN_IF_ERROR(
        WriteSnapshot(storage_, o,
                      [&](std::string_view* k, std::string_view* v) {
                        if (it == state_.end()) return false;
                        *k = it->first;
                        *v = it->second;
                        ++it;
                        return true;
                      })
            .status());
    ++result_.snapshots;
    return absl::OkStatus();
  }

  Storage* storage_;
  ImportOptions options_;
  ManualClock clock_;
  std::unique_ptr<LogWriter> writer_;
  std::map<std::string, std::string> state_;
  ImportResult result_;
};

}  // namespace

absl::StatusOr<ImportResult> ImportJsonl(Storage* storage, std::istream& in,
                                         const ImportOptions& options,
                                         ImportResult* partial) {
  RepositoryOptions ro;
  ro.source = "import";
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repository,
                           Repository::Attach(storage, /*create=*/true, ro));
  return ImportJsonl(repository.get(), in, options, partial);
}

absl::StatusOr<ImportResult> ImportJsonl(Repository* repository,
                                         std::istream& in,
                                         const ImportOptions& options,
                                         ImportResult* partial) {
  WAYBACK_RETURN_IF_ERROR(RequireNewRepository(*repository));
  Importer importer(repository->storage(), options);
  WAYBACK_RETURN_IF_ERROR(importer.Open());
  ImportResult& r = importer.result();
  std::string line;
  uint64_t number = 0;
  std::optional<CommitTime> previous;
  absl::Status failure;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      r.lines = number;
      continue;
    }
    auto event = ParseImportLine(line);
    absl::Status s = event.status();
    if (s.ok() && previous && event->commit_time < *previous) {
      s = Bad(absl::StrCat("time ", FormatCommitTime(event->commit_time),
                           " precedes the previous line's time ",
                           FormatCommitTime(*previous),
                           " (times must not decrease)"));
    }
    if (s.ok()) s = importer.Add(*event);
    if (!s.ok()) {
      failure = absl::Status(s.code(),
                             absl::StrCat("line ", number, ": ", s.message()));
      break;
    }
    previous = event->commit_time;
    r.lines = number;
  }
  if (failure.ok() && in.bad()) {
    failure = absl::InternalError(
        absl::StrCat("reading the input failed after line ", number - 1));
  }
  // Whatever happened, what was appended is made durable before reporting.
  absl::Status closed = importer.Close();
  if (partial != nullptr) *partial = r;
  if (!failure.ok()) {
    std::string held =
        r.last_lsn == kNoLsn
            ? std::string("the repository holds nothing")
            : absl::StrCat("the repository holds the ", r.transactions,
                           " transactions and ", r.restore_points,
                           " restore points of lines 1-", number - 1,
                           " (LSN 1-", r.last_lsn, ")");
    if (!closed.ok()) {
      held = absl::StrCat("closing the log also failed: ", closed.message());
    }
    return absl::Status(failure.code(),
                        absl::StrCat(failure.message(), "; ", held,
                                     ", nothing from line ", number, " on"));
  }
  WAYBACK_RETURN_IF_ERROR(closed);
  return r;
}

}  // namespace wayback
