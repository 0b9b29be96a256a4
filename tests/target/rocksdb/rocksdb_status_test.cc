// Copyright 2026 The Wayback Authors.
//
// The one mapping of RocksDB's errors: each rocksdb::Status kind to its absl
// code, and the message shape.

#include "src/target/rocksdb/rocksdb_status.h"

#include <string>

#include "gtest/gtest.h"

namespace wayback::rocksdb_internal {
namespace {

using absl::StatusCode;

struct Case {
  const char* name;
  rocksdb::Status status;
  StatusCode code;
};

class RocksDBStatusTest : public ::testing::TestWithParam<Case> {};

TEST_P(RocksDBStatusTest, MapsToItsCode) {
  const Case& c = GetParam();
  EXPECT_EQ(RocksDBStatusCode(c.status), c.code) << c.status.ToString();
  absl::Status s = FromRocksDB(c.status, "ctx");
  EXPECT_EQ(s.code(), c.code);
  if (c.code != StatusCode::kOk) {
    EXPECT_EQ(s.message(), "ctx: " + c.status.ToString());
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, RocksDBStatusTest,
    ::testing::Values(
        Case{"Ok", rocksdb::Status::OK(), StatusCode::kOk},
        Case{"Corruption", rocksdb::Status::Corruption("bad block"),
             StatusCode::kDataLoss},
        Case{"NotFound", rocksdb::Status::NotFound("key"),
             StatusCode::kNotFound},
        Case{"InvalidArgument", rocksdb::Status::InvalidArgument("order"),
             StatusCode::kInvalidArgument},
        Case{"NotSupported", rocksdb::Status::NotSupported("direct io"),
             StatusCode::kUnimplemented},
        Case{"Busy", rocksdb::Status::Busy("lock"), StatusCode::kUnavailable},
        Case{"TimedOut", rocksdb::Status::TimedOut("wait"),
             StatusCode::kUnavailable},
        Case{"TryAgain", rocksdb::Status::TryAgain("conflict"),
             StatusCode::kUnavailable},
        Case{"Incomplete", rocksdb::Status::Incomplete("block cache tier"),
             StatusCode::kUnavailable},
        // I/O errors are not known to be retryable: kInternal, whatever
        // the subcode.
        Case{"IOError", rocksdb::Status::IOError("EIO"), StatusCode::kInternal},
        Case{"NoSpace", rocksdb::Status::NoSpace("disk full"),
             StatusCode::kInternal},
        Case{"PathNotFound", rocksdb::Status::PathNotFound("dir"),
             StatusCode::kInternal},
        Case{"Aborted", rocksdb::Status::Aborted("stop"),
             StatusCode::kInternal},
        Case{"ShutdownInProgress", rocksdb::Status::ShutdownInProgress(),
             StatusCode::kInternal},
        Case{"MergeInProgress", rocksdb::Status::MergeInProgress(),
             StatusCode::kInternal}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(RocksDBStatusTest, OkIgnoresTheContext) {
  EXPECT_TRUE(FromRocksDB(rocksdb::Status::OK(), "anything").ok());
}

TEST(RocksDBStatusTest, TargetContextNamesTheOperationAndTheDatabase) {
  EXPECT_EQ(TargetContext("flush", "/restore/db"),
            "rocksdb target: flush in /restore/db");
  EXPECT_EQ(FromRocksDB(rocksdb::Status::Corruption("x"),
                        TargetContext("iterate", "/db"))
                .message(),
            "rocksdb target: iterate in /db: Corruption: x");
}

}  // namespace
}  // namespace wayback::rocksdb_internal
