// Copyright 2026 The Wayback Authors.
//
// The Storage conformance suite (see storage_conformance.h). Every expectation
// here is part of the contract in include/wayback/storage.h; optional parts
// run only when the backend claims the capability, and otherwise the call must
// be kUnimplemented.

#include "tests/storage/storage_conformance.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"

namespace wayback::testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

std::string Pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<std::string> Names(const std::vector<ObjectInfo>& infos) {
  std::vector<std::string> out;
  for (const ObjectInfo& i : infos) out.push_back(i.name);
  return out;
}

// Listing without in-flight temporaries (which storage.h allows to appear).
std::vector<std::string> VisibleNames(Storage* s, std::string_view prefix) {
  auto list = s->List(prefix);
  EXPECT_TRUE(list.ok()) << list.status();
  std::vector<std::string> out;
  if (!list.ok()) return out;
  for (const ObjectInfo& i : *list) {
    if (!absl::EndsWith(i.name, ".tmp")) out.push_back(i.name);
  }
  return out;
}

std::string ReadRange(const ReadableObject& obj, uint64_t offset, size_t n) {
  std::string scratch(n, '\0');
  auto got = obj.ReadAt(offset, n, scratch.data());
  EXPECT_TRUE(got.ok()) << got.status();
  return got.ok() ? std::string(*got) : "<error>";
}

}  // namespace

void StorageConformanceTest::SetUp() {
  temp_dir_ = std::make_unique<TempDir>();
  ASSERT_FALSE(temp_dir_->path().empty());
  auto s = GetParam().open(temp_dir_->path());
  ASSERT_TRUE(s.ok()) << s.status();
  storage_ = std::move(*s);
}

TEST_P(StorageConformanceTest, WriteAllThenReadAllAndStat) {
  const std::string data = Pattern(12345, 1);
  ASSERT_TRUE(storage()->WriteAll("obj", data).ok());
  auto back = storage()->ReadAll("obj");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, data);
  auto info = storage()->Stat("obj");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "obj");
  EXPECT_EQ(info->size, data.size());
}

TEST_P(StorageConformanceTest, EmptyObject) {
  ASSERT_TRUE(storage()->WriteAll("empty", "").ok());
  auto obj = storage()->OpenForRead("empty");
  ASSERT_TRUE(obj.ok()) << obj.status();
  EXPECT_EQ((*obj)->size(), 0u);
  EXPECT_EQ(ReadRange(**obj, 0, 10), "");
  auto all = storage()->ReadAll("empty");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, "");
}

TEST_P(StorageConformanceTest, RangedReadsAtEveryEdge) {
  const std::string data = Pattern(1000, 2);
  ASSERT_TRUE(storage()->WriteAll("d/ranged", data).ok());
  auto obj = storage()->OpenForRead("d/ranged");
  ASSERT_TRUE(obj.ok()) << obj.status();
  ASSERT_EQ((*obj)->size(), data.size());
  for (uint64_t offset : {0, 1, 2, 499, 500, 998, 999, 1000, 1001, 5000}) {
    for (size_t n : {0, 1, 2, 500, 999, 1000, 1001, 4096}) {
      const std::string expected =
          offset >= data.size() ? "" : data.substr(offset, n);
      EXPECT_EQ(ReadRange(**obj, offset, n), expected)
          << "offset " << offset << " n " << n;
    }
  }
}

TEST_P(StorageConformanceTest, LargeObjectRoundTrip) {
  // Crosses the local writer's 1 MiB buffer and small S3 part sizes.
  const std::string data = Pattern((5 << 20) + 17, 3);
  auto w = storage()->Create("big");
  ASSERT_TRUE(w.ok()) << w.status();
  for (size_t off = 0; off < data.size(); off += 300000) {
    ASSERT_TRUE((*w)->Append(std::string_view(data).substr(off, 300000)).ok());
  }
  ASSERT_TRUE((*w)->Close().ok());
  auto back = storage()->ReadAll("big");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == data)
      << "sizes " << back->size() << " vs " << data.size();
  auto obj = storage()->OpenForRead("big");
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(ReadRange(**obj, 3 << 20, 100), data.substr(3 << 20, 100));
}

TEST_P(StorageConformanceTest, MissingObjectIsNotFound) {
  EXPECT_TRUE(absl::IsNotFound(storage()->OpenForRead("nope").status()));
  EXPECT_TRUE(absl::IsNotFound(storage()->Stat("nope").status()));
  EXPECT_TRUE(absl::IsNotFound(storage()->ReadAll("a/nope").status()));
  auto s = storage()->Stat("nope");
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("nope"));
}

TEST_P(StorageConformanceTest, ListIsSortedAndFilteredByPrefix) {
  // Written in a shuffled order; includes names where '/' sorts before
  // other bytes ("a/b" < "a0") and numbers that sort as text.
  std::vector<std::string> names = {
      "a/b", "a/c/d",      "a/c/e",     "a0",        "a1",         "ab",
      "b",   "log/seg-10", "log/seg-2", "log/seg-1", "snap/x y z", "zz"};
  std::vector<std::string> shuffled = names;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(4));
  for (const std::string& n : shuffled) {
    ASSERT_TRUE(storage()->WriteAll(n, n + "!").ok()) << n;
  }
  std::set<std::string> model(names.begin(), names.end());
  for (std::string prefix : {"", "a", "a/", "a/c", "a/c/", "a/c/d", "log/seg-1",
                             "log/", "log", "l", "snap/x", "zzz", "q/", "b"}) {
    std::vector<std::string> expected;
    for (const std::string& n : model) {
      if (absl::StartsWith(n, prefix)) expected.push_back(n);
    }
    auto list = storage()->List(prefix);
    ASSERT_TRUE(list.ok()) << list.status();
    EXPECT_THAT(Names(*list), ElementsAreArray(expected))
        << "prefix " << prefix;
    for (const ObjectInfo& i : *list) EXPECT_EQ(i.size, i.name.size() + 1);
  }
}

TEST_P(StorageConformanceTest, CreateNeverOverwrites) {
  ASSERT_TRUE(storage()->WriteAll("x", "first").ok());
  absl::Status s = storage()->WriteAll("x", "second");
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  auto back = storage()->ReadAll("x");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "first");
}

TEST_P(StorageConformanceTest, RacingCreatesOneWins) {
  auto w1 = storage()->Create("race");
  auto w2 = storage()->Create("race");
  ASSERT_TRUE(w1.ok()) << w1.status();
  ASSERT_TRUE(w2.ok()) << w2.status();
  ASSERT_TRUE((*w1)->Append("one").ok());
  ASSERT_TRUE((*w2)->Append("two").ok());
  ASSERT_TRUE((*w1)->Close().ok());
  absl::Status s = (*w2)->Close();
  EXPECT_TRUE(absl::IsAlreadyExists(s)) << s;
  auto back = storage()->ReadAll("race");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "one");
  EXPECT_THAT(VisibleNames(storage(), ""), ElementsAreArray({"race"}));
}

TEST_P(StorageConformanceTest, InvisibleUntilClose) {
  auto w = storage()->Create("dir/pending");
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE((*w)->Append("some bytes").ok());
  EXPECT_TRUE(absl::IsNotFound(storage()->Stat("dir/pending").status()));
  EXPECT_TRUE(absl::IsNotFound(storage()->OpenForRead("dir/pending").status()));
  EXPECT_TRUE(VisibleNames(storage(), "").empty());
  ASSERT_TRUE((*w)->Append(" more").ok());
  ASSERT_TRUE((*w)->Close().ok());
  auto back = storage()->ReadAll("dir/pending");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "some bytes more");
  // After Close no temporary remains.
  auto list = storage()->List("");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(Names(*list), ElementsAreArray({"dir/pending"}));
  EXPECT_FALSE((*w)->Append("x").ok());
  EXPECT_FALSE((*w)->Close().ok());
}

TEST_P(StorageConformanceTest, AbandonedWriterLeavesNothing) {
  {
    auto w = storage()->Create("sub/abandoned");
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE((*w)->Append(Pattern(3 << 20, 5)).ok());
  }
  auto list = storage()->List("");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty()) << list->front().name;
  EXPECT_TRUE(absl::IsNotFound(storage()->Stat("sub/abandoned").status()));
  // The name is free to be written afterwards.
  EXPECT_TRUE(storage()->WriteAll("sub/abandoned", "x").ok());
}

TEST_P(StorageConformanceTest, DeleteIsIdempotent) {
  ASSERT_TRUE(storage()->WriteAll("a/gone", "bytes").ok());
  ASSERT_TRUE(storage()->WriteAll("a/kept", "bytes").ok());
  EXPECT_TRUE(storage()->Delete("a/gone").ok());
  EXPECT_TRUE(absl::IsNotFound(storage()->Stat("a/gone").status()));
  EXPECT_TRUE(storage()->Delete("a/gone").ok());
  EXPECT_TRUE(storage()->Delete("never/was").ok());
  EXPECT_THAT(VisibleNames(storage(), ""), ElementsAreArray({"a/kept"}));
  // A deleted name can be created again.
  EXPECT_TRUE(storage()->WriteAll("a/gone", "again").ok());
}

TEST_P(StorageConformanceTest, ReaderOutlivesDelete) {
  // Readers opened before a delete may either keep reading or fail cleanly,
  // but never return wrong bytes.
  const std::string data = Pattern(4096, 6);
  ASSERT_TRUE(storage()->WriteAll("r", data).ok());
  auto obj = storage()->OpenForRead("r");
  ASSERT_TRUE(obj.ok());
  ASSERT_TRUE(storage()->Delete("r").ok());
  std::string scratch(100, '\0');
  auto got = (*obj)->ReadAt(10, 100, scratch.data());
  if (got.ok()) {
    EXPECT_EQ(std::string(*got), data.substr(10, 100));
  }
}

TEST_P(StorageConformanceTest, EscapingNamesAreRefused) {
  const std::string bad_names[] = {
      "",          "..",    ".",    "../x",
      "a/../../x", "a/./b", "/abs", "/etc/passwd",
      "a//b",      "a/",    "x/..", std::string("a\0b", 3),
      "a\\..\\b",  "..\\x", "//",   "a/b/"};
  const bool append = storage()->capabilities().append;
  const bool rename = storage()->capabilities().rename;
  const bool lock = storage()->capabilities().lock;
  ASSERT_TRUE(storage()->WriteAll("ok", "fine").ok());
  for (const std::string& name : bad_names) {
    SCOPED_TRACE(::testing::PrintToString(name));
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateObjectName(name)));
    EXPECT_TRUE(absl::IsInvalidArgument(storage()->OpenForRead(name).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(storage()->Stat(name).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(storage()->Create(name).status()));
    EXPECT_TRUE(absl::IsInvalidArgument(storage()->WriteAll(name, "evil")));
    EXPECT_TRUE(absl::IsInvalidArgument(storage()->Delete(name)));
    if (append) {
      EXPECT_TRUE(absl::IsInvalidArgument(
          storage()->OpenAppendable(name, {.must_create = false}).status()));
    }
    if (rename) {
      EXPECT_TRUE(absl::IsInvalidArgument(storage()->Rename("ok", name)));
      EXPECT_TRUE(absl::IsInvalidArgument(storage()->Rename(name, "ok2")));
    }
    if (lock) {
      EXPECT_TRUE(absl::IsInvalidArgument(storage()->Lock(name).status()));
    }
  }
  // Nothing was written anywhere in the storage.
  auto list = storage()->List("");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(Names(*list), ElementsAreArray({"ok"}));
}

TEST_P(StorageConformanceTest, UnusualButValidNames) {
  for (std::string name : {"...", "..a", "a..", ".hidden", "sp ace/é/ü€",
                           "a/b/c/d/e/f", "x%2e%2e", "semi;colon=eq&amp"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(ValidateObjectName(name).ok());
    ASSERT_TRUE(storage()->WriteAll(name, name).ok());
    auto back = storage()->ReadAll(name);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, name);
  }
}

TEST_P(StorageConformanceTest, OptionalCapabilitiesSayUnimplemented) {
  const StorageCapabilities caps = storage()->capabilities();
  if (!caps.append) {
    EXPECT_TRUE(
        absl::IsUnimplemented(storage()->OpenAppendable("x", {}).status()));
  }
  if (!caps.rename) {
    ASSERT_TRUE(storage()->WriteAll("x", "1").ok());
    EXPECT_TRUE(absl::IsUnimplemented(storage()->Rename("x", "y")));
  }
  if (!caps.lock) {
    EXPECT_TRUE(absl::IsUnimplemented(storage()->Lock("LOCK").status()));
  }
}

TEST_P(StorageConformanceTest, AppendSyncReopenAndTruncate) {
  if (!storage()->capabilities().append) GTEST_SKIP() << "no append";
  std::string model;
  {
    auto a = storage()->OpenAppendable("wal/live", {});
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ((*a)->size(), 0u);
    for (int i = 0; i < 50; ++i) {
      std::string piece = Pattern(i * 37 % 500, 100 + i);
      ASSERT_TRUE((*a)->Append(piece).ok());
      model += piece;
      EXPECT_EQ((*a)->size(), model.size());
      if (i % 7 == 0) {
        ASSERT_TRUE((*a)->Sync().ok());
      }
    }
    ASSERT_TRUE((*a)->Sync().ok());
    // Readable (and listed) while open, with every appended byte.
    auto back = storage()->ReadAll("wal/live");
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == model);
    EXPECT_THAT(VisibleNames(storage(), "wal/"),
                ElementsAreArray({"wal/live"}));
    ASSERT_TRUE((*a)->Close().ok());
    EXPECT_FALSE((*a)->Append("x").ok());
    EXPECT_FALSE((*a)->Sync().ok());
    EXPECT_FALSE((*a)->Close().ok());
  }
  // must_create refuses an existing object.
  EXPECT_TRUE(absl::IsAlreadyExists(
      storage()->OpenAppendable("wal/live", {}).status()));
  // Reopen without truncation: appends continue at the end.
  {
    auto a = storage()->OpenAppendable("wal/live", {.must_create = false});
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ((*a)->size(), model.size());
    ASSERT_TRUE((*a)->Append("tail").ok());
    model += "tail";
    ASSERT_TRUE((*a)->Close().ok());
  }
  // Truncate to drop a torn tail, then append.
  {
    const uint64_t cut = model.size() / 3;
    auto a = storage()->OpenAppendable(
        "wal/live", {.must_create = false, .truncate_to = cut});
    ASSERT_TRUE(a.ok()) << a.status();
    EXPECT_EQ((*a)->size(), cut);
    model.resize(cut);
    ASSERT_TRUE((*a)->Append("after-cut").ok());
    model += "after-cut";
    ASSERT_TRUE((*a)->Close().ok());
  }
  auto back = storage()->ReadAll("wal/live");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == model);
  // Truncating beyond the end is refused and changes nothing.
  EXPECT_TRUE(absl::IsInvalidArgument(
      storage()
          ->OpenAppendable("wal/live", {.must_create = false,
                                        .truncate_to = model.size() + 1})
          .status()));
  auto info = storage()->Stat("wal/live");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, model.size());
  // must_create = false also creates.
  auto fresh = storage()->OpenAppendable("wal/new", {.must_create = false});
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE((*fresh)->Close().ok());
  EXPECT_TRUE(storage()->Stat("wal/new").ok());
}

TEST_P(StorageConformanceTest, AppendableCannotReplaceWrittenObject) {
  if (!storage()->capabilities().append) GTEST_SKIP() << "no append";
  ASSERT_TRUE(storage()->WriteAll("sealed", "sealed bytes").ok());
  EXPECT_TRUE(
      absl::IsAlreadyExists(storage()->OpenAppendable("sealed", {}).status()));
  EXPECT_TRUE(absl::IsAlreadyExists(storage()->WriteAll("sealed", "x")));
  auto back = storage()->ReadAll("sealed");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "sealed bytes");
}

TEST_P(StorageConformanceTest, RenameNeverOverwrites) {
  if (!storage()->capabilities().rename) GTEST_SKIP() << "no rename";
  ASSERT_TRUE(storage()->WriteAll("from", "payload").ok());
  ASSERT_TRUE(storage()->WriteAll("taken", "other").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(storage()->Rename("from", "taken")));
  EXPECT_TRUE(absl::IsNotFound(storage()->Rename("missing", "dest")));
  ASSERT_TRUE(storage()->Rename("from", "moved/to/here").ok());
  EXPECT_TRUE(absl::IsNotFound(storage()->Stat("from").status()));
  auto moved = storage()->ReadAll("moved/to/here");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(*moved, "payload");
  auto taken = storage()->ReadAll("taken");
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, "other");
  EXPECT_THAT(VisibleNames(storage(), ""),
              ElementsAreArray({"moved/to/here", "taken"}));
}

TEST_P(StorageConformanceTest, RenameAnOpenAppendable) {
  const StorageCapabilities caps = storage()->capabilities();
  if (!caps.rename || !caps.append) GTEST_SKIP() << "no rename/append";
  auto a = storage()->OpenAppendable("live.seg", {});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Append("12345").ok());
  ASSERT_TRUE((*a)->Sync().ok());
  ASSERT_TRUE(storage()->Rename("live.seg", "sealed.seg").ok());
  ASSERT_TRUE((*a)->Close().ok());
  auto back = storage()->ReadAll("sealed.seg");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "12345");
}

TEST_P(StorageConformanceTest, LockIsExclusive) {
  if (!storage()->capabilities().lock) GTEST_SKIP() << "no lock";
  auto first = storage()->Lock("log/LOCK");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = storage()->Lock("log/LOCK");
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("LOCK"));
  // A different lock name is independent.
  auto other = storage()->Lock("other/LOCK");
  EXPECT_TRUE(other.ok()) << other.status();
  first->reset();
  auto third = storage()->Lock("log/LOCK");
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_P(StorageConformanceTest, ConcurrentReadersAndWriters) {
  const std::string data = Pattern(1 << 20, 7);
  ASSERT_TRUE(storage()->WriteAll("shared", data).ok());
  auto shared = storage()->OpenForRead("shared");
  ASSERT_TRUE(shared.ok());
  std::vector<std::thread> threads;
  std::vector<int> failures(6, 0);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::string scratch(70000, '\0');
      for (int i = 0; i < 40; ++i) {
        uint64_t off = rng() % data.size();
        size_t n = rng() % scratch.size();
        // Half the threads share one ReadableObject, half open their own.
        std::unique_ptr<ReadableObject> own;
        const ReadableObject* obj = shared->get();
        if (t % 2 == 1) {
          auto o = storage()->OpenForRead("shared");
          if (!o.ok()) {
            ++failures[t];
            continue;
          }
          own = std::move(*o);
          obj = own.get();
        }
        auto got = obj->ReadAt(off, n, scratch.data());
        if (!got.ok() || *got != std::string_view(data).substr(off, n)) {
          ++failures[t];
        }
      }
      // Each thread also writes its own objects concurrently.
      for (int i = 0; i < 5; ++i) {
        std::string name = "t" + std::to_string(t) + "/" + std::to_string(i);
        if (!storage()->WriteAll(name, name).ok()) ++failures[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 6; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  EXPECT_EQ(VisibleNames(storage(), "t").size(), 30u);
}

}  // namespace wayback::testing
