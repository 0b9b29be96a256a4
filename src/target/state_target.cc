// Copyright 2026 The Wayback Authors.
//
// What every state target shares: the default snapshot load and batched
// apply, and the partition function of key-partitioned apply.

#include "wayback/state_target.h"

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "src/util/coding.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {

absl::Status StateTarget::LoadSnapshot(SnapshotReader* snapshot) {
  // Puts every pair as one-mutation transactions: slow but correct for any
  // target; the built-in targets override it with bulk paths.
  std::unique_ptr<SnapshotIterator> it = snapshot->NewIterator();
  std::string encoded;
  std::string_view key, value;
  const Lsn lsn = snapshot->info().lsn;
  while (it->Next(&key, &value)) {
    encoded.clear();
    encoded.push_back(static_cast<char>(MutationType::kPut));
    PutLengthPrefixed(&encoded, key);
    PutLengthPrefixed(&encoded, value);
    LogRecord record;
    record.type = RecordType::kTransaction;
    record.lsn = lsn;
    record.commit_time = snapshot->info().commit_time;
    record.mutation_count = 1;
    record.encoded_mutations = encoded;
    record.encoded_size = static_cast<uint32_t>(encoded.size());
    WAYBACK_RETURN_IF_ERROR(ApplyTransaction(record));
  }
  return it->status();
}

absl::Status StateTarget::ApplyTransactionBatch(
    std::span<const LogRecord> records) {
  for (const LogRecord& r : records) {
    if (r.type != RecordType::kTransaction) continue;
    absl::Status s = ApplyTransaction(r);
    if (!s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat("lsn ", r.lsn, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status StateTarget::ApplyMutationBatch(
    int partition, std::span<const MutationView> mutations) {
  for (const MutationView& m : mutations) {
    WAYBACK_RETURN_IF_ERROR(ApplyMutation(partition, m));
  }
  return absl::OkStatus();
}

int PartitionOf(std::string_view key, int partitions) {
  if (partitions <= 1) return 0;
  // XXH3-64 is stable across versions and platforms (its output is
  // specified), so a partition never depends on the build. Lemire's
  // multiply-shift maps the high 32 bits onto [0, partitions) without a
  // division.
  const uint64_t h = XXH3_64bits(key.data(), key.size());
  return static_cast<int>(((h >> 32) * static_cast<uint64_t>(partitions)) >>
                          32);
}

}  // namespace wayback
