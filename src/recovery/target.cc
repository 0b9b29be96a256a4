// Copyright 2026 The Wayback Authors.
//
// RecoveryTarget constructors and their text form.

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/util/errors.h"
#include "wayback/recovery.h"

namespace wayback {

RecoveryTarget RecoveryTarget::Time(CommitTime t, bool inclusive) {
  RecoveryTarget r;
  r.kind = Kind::kTime;
  r.time = t;
  r.inclusive = inclusive;
  return r;
}

RecoveryTarget RecoveryTarget::AtLsn(Lsn lsn, bool inclusive) {
  RecoveryTarget r;
  r.kind = Kind::kLsn;
  r.lsn = lsn;
  r.inclusive = inclusive;
  return r;
}

RecoveryTarget RecoveryTarget::Txid(uint64_t txid, bool inclusive) {
  RecoveryTarget r;
  r.kind = Kind::kTxid;
  r.txid = txid;
  r.inclusive = inclusive;
  return r;
}

RecoveryTarget RecoveryTarget::RestorePoint(std::string name) {
  RecoveryTarget r;
  r.kind = Kind::kRestorePoint;
  r.restore_point = std::move(name);
  return r;
}

RecoveryTarget RecoveryTarget::Latest() { return RecoveryTarget(); }

RecoveryTarget RecoveryTarget::SnapshotOnly() {
  RecoveryTarget r;
  r.kind = Kind::kSnapshotOnly;
  return r;
}

std::string RecoveryTarget::ToString() const {
  const char* incl = inclusive ? " inclusive" : " exclusive";
  std::string s;
  switch (kind) {
    case Kind::kTime:
      s = absl::StrCat("time ", FormatCommitTime(time), incl);
      break;
    case Kind::kLsn:
      s = absl::StrCat("lsn ", lsn, incl);
      break;
    case Kind::kTxid:
      s = absl::StrCat("txid ", txid, incl);
      break;
    case Kind::kRestorePoint:
      s = absl::StrCat("restore point \"", restore_point, "\"");
      break;
    case Kind::kLatest:
      s = "latest";
      break;
    case Kind::kSnapshotOnly:
      s = "snapshot";
      break;
  }
  if (timeline != kFirstTimeline) absl::StrAppend(&s, " timeline ", timeline);
  return s;
}

}  // namespace wayback
