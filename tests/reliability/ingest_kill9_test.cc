// Copyright 2026 The Wayback Authors.
//
// kill -9 of `wayback ingest` (the real binary, fed through a pipe) and of
// `wayback mirror --follow`, at random instants. The producer is this test:
// it generates a deterministic stream of events (transactions and restore
// points, each with its position), and after every kill it replays from a
// random point at or before the last position acknowledged in the --ack file,
// as a real producer restarting from its checkpoint would. After every trial
// the repository's log is compared with the stream record by record (the
// exact oracle: position k is LSN k, with the same commit time, txid and
// mutations or restore point name): 0 lost (every acknowledged position is
// there), 0 duplicated, 0 holes, nothing never sent. The mirrors (the
// ingester's own --mirror and a separate mirror --follow process) must hold
// a prefix of the same stream. At the end a clean run completes the stream
// and restores at random LSNs are compared with an independent model.
// Every third trial also builds snapshots in the background
// (--snapshot-every-tx); each snapshot must verify and equal the stream's
// state at its LSN, whenever the kill came.
//
// Trials: WAYBACK_INGEST_KILL9_TRIALS (default 300; 2000 with
// WAYBACK_FULL=1). Figures go to results/ingest_kill9.json.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/reliability/reliability_util.h"
#include "tests/testutil/child_process.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/status.h"
#include "wayback/storage.h"

#ifndef WAYBACK_BINARY
#error "WAYBACK_BINARY must name the wayback executable"
#endif

namespace wayback::reliability {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr CommitTime kBase = 1767225600000000000;  // 2026-01-01T00:00:00Z

// The event at position p (p >= 1): deterministic, so the oracle can
// recompute it. Every 37th is a restore point; commit times tie in threes.
struct Event {
  bool restore_point = false;
  CommitTime time = 0;
  uint64_t txid = 0;
  std::string name;
  std::vector<Mutation> ops;
};

Event EventAt(uint64_t p) {
  Event e;
  e.time = kBase + static_cast<CommitTime>(p / 3) * 1000;
  if (p % 37 == 0) {
    e.restore_point = true;
    e.name = absl::StrCat("rp-", p);
    return e;
  }
  e.txid = p * 7;
  std::mt19937_64 r(p);
  const int n = 1 + static_cast<int>(r() % 3);
  for (int i = 0; i < n; ++i) {
    std::string key = absl::StrCat("patient/", r() % 400);
    if (r() % 5 == 0) {
      e.ops.push_back({MutationType::kDelete, key, ""});
    } else {
      e.ops.push_back(
          {MutationType::kPut, key,
           std::string(20 + r() % 180, static_cast<char>('a' + p % 26))});
    }
  }
  return e;
}

std::string LineAt(uint64_t p) {
  const Event e = EventAt(p);
  json j;
  j["pos"] = p;
  j["time"] = absl::StrCat("@", e.time);
  if (e.restore_point) {
    j["restore_point"] = e.name;
  } else {
    j["txid"] = e.txid;
    json ops = json::array();
    for (const Mutation& m : e.ops) {
      if (m.type == MutationType::kPut) {
        ops.push_back({{"op", "put"}, {"key", m.key}, {"value", m.value}});
      } else {
        ops.push_back({{"op", "delete"}, {"key", m.key}});
      }
    }
    j["ops"] = ops;
  }
  return j.dump() + "\n";
}

// Checks that the log of `dir` is exactly events 1..n of the stream (from
// LSN `from` on; earlier ones were checked before) and returns n.
absl::StatusOr<uint64_t> CheckRecords(Storage* storage, uint64_t from,
                                      const std::string& dir) {
  LogReaderOptions o;
  o.start_lsn = std::max<uint64_t>(from, 1);
  auto reader = LogReader::Open(storage, o);
  if (!reader.ok()) return reader.status();
  uint64_t n = o.start_lsn - 1;
  while (true) {
    auto r = (*reader)->Next();
    if (!r.ok()) return r.status();
    if (*r == nullptr) break;
    const LogRecord& rec = **r;
    ++n;
    auto bad = [&](const std::string& what) {
      return absl::DataLossError(
          absl::StrCat(dir, ": LSN ", rec.lsn, ": ", what));
    };
    if (rec.lsn != n) return bad(absl::StrCat("expected LSN ", n));
    if (!rec.source_position || *rec.source_position != n) {
      return bad(absl::StrCat(
          "source position ",
          rec.source_position ? absl::StrCat(*rec.source_position) : "absent",
          ", expected ", n, " (a duplicate or a hole)"));
    }
    const Event e = EventAt(n);
    if (rec.commit_time != e.time) return bad("commit time differs");
    if (e.restore_point) {
      if (rec.type != RecordType::kRestorePoint ||
          rec.restore_point_name != e.name) {
        return bad("expected restore point " + e.name);
      }
      continue;
    }
    if (rec.type != RecordType::kTransaction || rec.txid != e.txid) {
      return bad("expected the transaction of txid " + absl::StrCat(e.txid));
    }
    Transaction t = rec.ToTransaction();
    if (t.mutations != e.ops) return bad("mutations differ");
  }
  return n;
}

// Checks every sealed segment of a mirror against the stream, each on its
// own, and returns how many records the mirror holds. A mirror pass copies
// several segments at once, so an archiver killed in the middle of one may
// leave a later segment without an earlier one until its next pass (a
// restore from the mirror then stops at the gap); what is there must still
// be exactly the stream's.
absl::StatusOr<uint64_t> CheckMirror(const std::string& dir,
                                     std::map<std::string, uint64_t>* checked) {
  auto storage = OpenStorage(dir, false);
  if (!storage.ok()) return storage.status();
  auto listed = (*storage)->List("log/");
  if (!listed.ok()) return listed.status();
  uint64_t records = 0;
  for (const ObjectInfo& o : *listed) {
    TimelineId tl;
    Lsn first;
    bool sealed;
    if (!ParseSegmentObjectName(o.name, &tl, &first, &sealed)) continue;
    if (!sealed) return absl::DataLossError(dir + " holds a live segment");
    // Sealed segments are immutable: each is checked once, whole.
    if (auto it = checked->find(o.name); it != checked->end()) {
      records += it->second;
      continue;
    }
    // The segment alone, in a storage of its own: read from its first LSN
    // (the reader would rightly refuse the gap if it saw the others).
    auto bytes = (*storage)->ReadAll(o.name);
    if (!bytes.ok()) return bytes.status();
    auto one = NewMemoryStorage();
    absl::Status put = one->WriteAll(o.name, *bytes);
    if (!put.ok()) return put;
    auto info = ReadSegmentInfo(one.get(), o.name);
    if (!info.ok()) return info.status();
    auto n = CheckRecords(one.get(), info->first_lsn, dir + "/" + o.name);
    if (!n.ok()) return n.status();
    if (*n != info->last_lsn) {
      return absl::DataLossError(absl::StrCat(o.name, " read to LSN ", *n));
    }
    records += info->last_lsn - info->first_lsn + 1;
    (*checked)[o.name] = info->last_lsn - info->first_lsn + 1;
  }
  return records;
}

absl::StatusOr<uint64_t> CheckLog(const std::string& dir, uint64_t from) {
  auto storage = OpenStorage(dir, false);
  if (!storage.ok()) return storage.status();
  return CheckRecords(storage->get(), from, dir);
}

// The highest source_position of the complete lines of the --ack file (a torn
// last line is ignored, as readers must), 0 if none; fails on a line that
// is complete but not an acknowledgement, or on positions going backwards.
absl::StatusOr<uint64_t> MaxAck(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  uint64_t max = 0;
  size_t start = 0;
  while (true) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) break;
    json j = json::parse(text.substr(start, nl - start), nullptr, false);
    if (j.is_discarded() || !j.contains("source_position") ||
        !j.contains("lsn")) {
      return absl::DataLossError("bad ack line: " +
                                 text.substr(start, nl - start));
    }
    const uint64_t p = j["source_position"].get<uint64_t>();
    if (j["lsn"].get<uint64_t>() != p) {
      return absl::DataLossError("ack names LSN " + j["lsn"].dump() +
                                 " for position " + absl::StrCat(p));
    }
    max = std::max(max, p);
    start = nl + 1;
  }
  return max;
}

// The state digest of the stream after each position (= LSN), built on
// demand: the oracle for snapshots taken in the background.
class StreamDigests {
 public:
  const StateDigest& At(uint64_t lsn) {
    while (digests_.size() <= lsn) {
      const Event e = EventAt(digests_.size());
      for (const Mutation& m : e.ops) {
        auto it = model_.find(m.key);
        if (it != model_.end()) {
          current_.Remove(it->first, it->second);
          if (m.type == MutationType::kDelete) model_.erase(it);
        }
        if (m.type == MutationType::kPut) {
          model_[m.key] = m.value;
          current_.Add(m.key, m.value);
        }
      }
      digests_.push_back(current_);
    }
    return digests_[lsn];
  }

 private:
  std::map<std::string, std::string> model_;
  StateDigest current_;
  std::vector<StateDigest> digests_{StateDigest()};
};

// Checks every snapshot of `dir` not checked before (they are immutable):
// it verifies (every block, its digest; a delta with its whole chain, each
// step's digest) and its state is the stream's at its LSN. Temporaries of
// killed builds may lie beside them. Returns how many snapshots there are;
// counts the deltas among those checked in *deltas.
absl::StatusOr<size_t> CheckSnapshots(const std::string& dir,
                                      std::set<std::string>* checked,
                                      StreamDigests* oracle, size_t* deltas) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repo,
                           Repository::Open(dir));
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                           repo->ReadCatalog());
  for (const CatalogProblem& p : catalog->problems()) {
    // A killed build's temporary is expected; anything else is damage.
    if (p.object.starts_with("snap/") && !p.object.ends_with(".tmp")) {
      return absl::DataLossError(absl::StrCat(p.object, ": ", p.message));
    }
  }
  size_t n = 0;
  for (const SnapshotInfo& o : catalog->snapshots()) {
    ++n;
    if (!checked->insert(o.name).second) continue;
    WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> r,
                             OpenSnapshotState(*repo, o.name));
    WAYBACK_RETURN_IF_ERROR(r->Verify());
    if (r->info().kind == SnapshotKind::kDelta) ++*deltas;
    if (r->info().digest != oracle->At(r->info().lsn)) {
      return absl::DataLossError(
          absl::StrCat(o.name, " holds ", r->info().digest.ToString(),
                       " but the stream at lsn ", r->info().lsn, " is ",
                       oracle->At(r->info().lsn).ToString()));
    }
  }
  return n;
}

using Child = testing::ChildProcess;

Child Spawn(const std::vector<std::string>& args, const std::string& log,
            bool pipe_stdin) {
  return testing::StartChild(WAYBACK_BINARY, args, log, pipe_stdin);
}

int Wait(pid_t pid) { return testing::WaitChild(pid); }

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

TEST(IngestKill9, NothingAcknowledgedLostNothingDuplicated) {
  signal(SIGPIPE, SIG_IGN);
  const int trials = static_cast<int>(
      EnvInt("WAYBACK_INGEST_KILL9_TRIALS", FullMode() ? 2000 : 300));
  std::mt19937_64 rng(EnvInt("WAYBACK_INGEST_KILL9_SEED", 7));
  testing::TempDir tmp;
  const std::string repo = tmp.path() + "/repo";
  const std::string mirror = tmp.path() + "/mirror";
  const std::string follow_mirror = tmp.path() + "/follow-mirror";
  const std::string acks = tmp.path() + "/acks.jsonl";
  const std::string log = tmp.path() + "/ingest.log";

  uint64_t acked = 0;    // The highest position ever acknowledged.
  uint64_t checked = 0;  // Log records checked so far.
  uint64_t sent = 0, resent = 0, killed = 0, clean = 0, mirror_kills = 0;
  uint64_t mirrored_max = 0, follow_max = 0;
  std::map<std::string, uint64_t> mirror_checked, follow_checked;
  std::set<std::string> snapshots_checked;
  size_t deltas_checked = 0;
  StreamDigests oracle;
  size_t snapshots = 0;
  for (int trial = 0; trial < trials; ++trial) {
    // The producer restarts from its checkpoint: a little before the last
    // acknowledged position, so some events are resent.
    const uint64_t back = std::min<uint64_t>(acked, rng() % 30);
    const uint64_t start = acked + 1 - back;
    const uint64_t count = 20 + rng() % 400;
    const bool kill_it = rng() % 10 != 0;
    // Every fifth trial also runs (and kills) a mirror --follow.
    Child follower;
    if (trial % 5 == 0) {
      follower = Spawn({"mirror", "--from", repo, "--to", follow_mirror,
                        "--follow", "--interval", "20ms"},
                       log, false);
    }
    std::vector<std::string> args = {
        "ingest",   "--repo",   repo,
        "--create", "--source", "kill9-producer",
        "--ack",    acks,       "--max-segment-age",
        "30ms",     "--batch",  absl::StrCat(1 + rng() % 64)};
    if (trial % 2 == 0) {
      args.push_back("--mirror");
      args.push_back(mirror);
    }
    // Every third trial also builds snapshots in the background (and is
    // killed while it does, at times).
    if (trial % 3 == 1) {
      args.push_back("--snapshot-every-tx");
      args.push_back(absl::StrCat(50 + rng() % 200));
    }
    Child c = Spawn(args, log, true);
    ASSERT_GT(c.pid, 0);
    const auto t0 = std::chrono::steady_clock::now();
    const auto kill_at = t0 + std::chrono::microseconds(rng() % 150000);
    std::string buf;
    for (uint64_t p = start; p < start + count; ++p) {
      buf += LineAt(p);
      if (buf.size() > 4096 || p + 1 == start + count) {
        if (write(c.stdin_fd, buf.data(), buf.size()) < 0) break;
        buf.clear();
      }
      if (kill_it && std::chrono::steady_clock::now() >= kill_at) break;
      if (rng() % 64 == 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    sent += count;
    resent += back;
    int rc;
    if (kill_it) {
      std::this_thread::sleep_until(kill_at);
      kill(c.pid, SIGKILL);
      close(c.stdin_fd);
      rc = Wait(c.pid);
      ++killed;
    } else {
      close(c.stdin_fd);
      rc = Wait(c.pid);
      ASSERT_EQ(rc, 0) << "a clean run failed; its output:\n" << Tail(log);
      ++clean;
    }
    if (follower.pid > 0) {
      kill(follower.pid, rng() % 2 ? SIGKILL : SIGTERM);
      const int frc = Wait(follower.pid);
      if (frc == -SIGKILL) ++mirror_kills;
    }
    ASSERT_TRUE(rc == 0 || rc == -SIGKILL) << "exit " << rc << "\n"
                                           << Tail(log);

    auto max_ack = MaxAck(acks);
    ASSERT_TRUE(max_ack.ok()) << max_ack.status();
    if (!fs::exists(repo + "/wayback.repository")) {
      ASSERT_EQ(*max_ack, 0u);  // Killed before the repository existed.
      continue;
    }
    // Earlier records were checked already (sealed segments do not change);
    // the last few are checked again in case a torn tail was cut.
    auto n = CheckLog(repo, checked > 64 ? checked - 64 : 1);
    ASSERT_TRUE(n.ok()) << "trial " << trial << ": " << n.status();
    ASSERT_GE(*n, *max_ack)
        << "trial " << trial << ": acknowledged position " << *max_ack
        << " is not in the log (it ends at " << *n << ")";
    ASSERT_GE(*n, checked) << "trial " << trial << ": the log got shorter";
    acked = std::max(acked, *max_ack);
    checked = *n;
    if (fs::exists(mirror + "/log")) {
      auto m = CheckMirror(mirror, &mirror_checked);
      ASSERT_TRUE(m.ok()) << "mirror, trial " << trial << ": " << m.status();
      ASSERT_LE(*m, *n);
      mirrored_max = *m;
    }
    auto sn =
        CheckSnapshots(repo, &snapshots_checked, &oracle, &deltas_checked);
    ASSERT_TRUE(sn.ok()) << "snapshots, trial " << trial << ": " << sn.status();
    snapshots = *sn;
    if (fs::exists(follow_mirror + "/log")) {
      auto m = CheckMirror(follow_mirror, &follow_checked);
      ASSERT_TRUE(m.ok()) << "follow mirror, trial " << trial << ": "
                          << m.status();
      ASSERT_LE(*m, *n);
      follow_max = *m;
    }
  }

  // A clean run sends the rest of the stream; then the whole log is checked
  // again from LSN 1 and restores are compared with an independent model.
  const uint64_t total = acked + 500;
  {
    Child c = Spawn({"ingest", "--repo", repo, "--create", "--source",
                     "kill9-producer", "--ack", acks, "--mirror", mirror},
                    log, true);
    std::string all;
    for (uint64_t p = acked > 10 ? acked - 10 : 1; p <= total; ++p)
      all += LineAt(p);
    ASSERT_EQ(write(c.stdin_fd, all.data(), all.size()),
              static_cast<ssize_t>(all.size()));
    close(c.stdin_fd);
    ASSERT_EQ(Wait(c.pid), 0) << Tail(log);
  }
  auto n = CheckLog(repo, 1);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, total);
  auto m = CheckLog(mirror, 1);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, total) << "the final run's last pass ships everything sealed";
  // One more pass fills whatever gaps the killed followers left.
  if (fs::exists(follow_mirror)) {
    Child f =
        Spawn({"mirror", "--from", repo, "--to", follow_mirror}, log, false);
    ASSERT_EQ(Wait(f.pid), 0) << Tail(log);
    auto fm = CheckLog(follow_mirror, 1);
    ASSERT_TRUE(fm.ok()) << fm.status();
    EXPECT_EQ(*fm, total);
  }

  auto storage = OpenStorage(repo, false);
  ASSERT_TRUE(storage.ok());
  auto catalog = Catalog::Open(storage->get());
  ASSERT_TRUE(catalog.ok());
  std::map<std::string, std::string> model;
  std::vector<uint64_t> targets;
  for (int i = 0; i < 8; ++i) targets.push_back(1 + rng() % total);
  targets.push_back(total);
  std::sort(targets.begin(), targets.end());
  uint64_t applied = 0;
  for (uint64_t target : targets) {
    for (; applied < target; ++applied) {
      const Event e = EventAt(applied + 1);
      for (const Mutation& op : e.ops) {
        if (op.type == MutationType::kPut) {
          model[op.key] = op.value;
        } else {
          model.erase(op.key);
        }
      }
    }
    StateDigest want;
    for (const auto& [k, v] : model) want.Add(k, v);
    auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(target));
    ASSERT_TRUE(plan.ok()) << plan.status();
    auto target_state = NewMemoryTarget();
    auto r = Restore(storage->get(), *plan, target_state.get());
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->digest.has_value());
    EXPECT_EQ(*r->digest, want) << "LSN " << target;
  }

  std::error_code ec;
  fs::create_directories("results", ec);
  std::ofstream("results/ingest_kill9.json")
      << json{{"trials", trials},
              {"killed", killed},
              {"clean_exits", clean},
              {"events_sent", sent},
              {"events_resent", resent},
              {"final_log_records", *n},
              {"acknowledged_max", acked},
              {"mirror_follow_kills", mirror_kills},
              {"mirror_records_last_trial", mirrored_max},
              {"follow_mirror_records_last_trial", follow_max},
              {"background_snapshots_checked", snapshots_checked.size()},
              {"background_deltas_checked", deltas_checked},
              {"lost", 0},
              {"duplicated", 0}}
             .dump(2)
      << "\n";
  std::cout << "ingest kill -9: " << trials << " trials (" << killed
            << " killed, " << clean << " clean), " << sent << " events sent, "
            << resent << " resent, log " << *n
            << " records, 0 lost, 0 duplicated; " << snapshots_checked.size()
            << " background snapshots (" << deltas_checked
            << " of them deltas) checked against the stream (" << snapshots
            << " left at the end)\n";
}

}  // namespace
}  // namespace wayback::reliability
