// Copyright 2026 The Wayback Authors.
//
// Helpers for the log tests: random transactions, reading a whole log back
// as owned records (the oracle compares these with what was appended), and
// byte surgery on stored objects.

#ifndef WAYBACK_TESTS_LOG_LOG_TEST_UTIL_H_
#define WAYBACK_TESTS_LOG_LOG_TEST_UTIL_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "wayback/log.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback::testing {

// A record as the test expects it back.
struct OwnedRecord {
  RecordType type = RecordType::kTransaction;
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  std::optional<uint64_t> txid;
  std::optional<uint64_t> source_position;
  std::string restore_point_name;
  std::vector<Mutation> mutations;
  friend bool operator==(const OwnedRecord&, const OwnedRecord&) = default;
};

inline OwnedRecord Own(const LogRecord& r) {
  OwnedRecord o;
  o.type = r.type;
  o.lsn = r.lsn;
  o.commit_time = r.commit_time;
  o.txid = r.txid;
  o.source_position = r.source_position;
  o.restore_point_name = std::string(r.restore_point_name);
  if (r.type == RecordType::kTransaction)
    o.mutations = r.ToTransaction().mutations;
  return o;
}

inline OwnedRecord FromTxn(Lsn lsn, CommitTime t, const Transaction& txn) {
  OwnedRecord o;
  o.lsn = lsn;
  o.commit_time = t;
  o.txid = txn.txid;
  o.source_position = txn.source_position;
  o.mutations = txn.mutations;
  return o;
}

inline std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// A random transaction: 0-5 mutations, binary keys, empty values sometimes.
inline Transaction RandomTxn(std::mt19937_64& rng) {
  Transaction t;
  if (rng() % 2) t.txid = rng();
  int n = static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) {
    std::string key = RandomBytes(rng, rng() % 12);
    if (rng() % 5 == 0) {
      t.Delete(key);
    } else {
      size_t vlen = rng() % 4 == 0 ? 0 : rng() % 300;
      std::string v =
          (rng() % 2) ? RandomBytes(rng, vlen) : std::string(vlen, 'v');
      t.Put(key, v);
    }
  }
  return t;
}

struct ReadResult {
  std::vector<OwnedRecord> records;
  std::optional<LogReader::TornTail> torn;
};

// Reads the whole log (from `options`) into owned records.
inline absl::StatusOr<ReadResult> ReadLog(Storage* s,
                                          LogReaderOptions options = {}) {
  auto reader = LogReader::Open(s, options);
  if (!reader.ok()) return reader.status();
  ReadResult out;
  while (true) {
    auto r = (*reader)->Next();
    if (!r.ok()) return r.status();
    if (*r == nullptr) break;
    out.records.push_back(Own(**r));
  }
  out.torn = (*reader)->torn_tail();
  return out;
}

// Replaces an object's bytes.
inline absl::Status Overwrite(Storage* s, const std::string& name,
                              const std::string& data) {
  absl::Status st = s->Delete(name);
  if (!st.ok()) return st;
  return s->WriteAll(name, data);
}

// Names of the log's segment objects, sorted.
inline std::vector<std::string> SegmentNames(Storage* s) {
  std::vector<std::string> out;
  auto list = s->List("log/");
  if (!list.ok()) return out;
  for (const auto& o : *list) {
    TimelineId t;
    Lsn l;
    bool sealed;
    if (ParseSegmentObjectName(o.name, &t, &l, &sealed)) out.push_back(o.name);
  }
  return out;
}

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_LOG_LOG_TEST_UTIL_H_
