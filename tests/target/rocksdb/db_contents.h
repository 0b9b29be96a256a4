// Copyright 2026 The Wayback Authors.
//
// Test helper: what a RocksDB database's default column family holds.

#ifndef WAYBACK_TESTS_TARGET_ROCKSDB_DB_CONTENTS_H_
#define WAYBACK_TESTS_TARGET_ROCKSDB_DB_CONTENTS_H_

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace wayback::rocksdb_internal {

// Every pair of the default column family of `db`; a failed iteration is a
// test failure.
inline std::map<std::string, std::string> DbContents(rocksdb::DB* db) {
  std::map<std::string, std::string> m;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    m[it->key().ToString()] = it->value().ToString();
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return m;
}

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_TESTS_TARGET_ROCKSDB_DB_CONTENTS_H_
