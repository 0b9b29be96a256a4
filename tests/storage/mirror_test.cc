// Copyright 2026 The Wayback Authors.
//
// MirrorRepository: copies what is missing, verifies, never overwrites,
// reports, and copies nothing when run again.

#include "wayback/mirror.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/fault_injection_storage.h"
#include "tests/testutil/testutil.h"

namespace wayback::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string Read(Storage* s, const std::string& name) {
  auto r = s->ReadAll(name);
  return r.ok() ? *r : "<" + r.status().ToString() + ">";
}

// A destination that flips one bit of every object written through it.
class CorruptingStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) override {
    auto inner = target()->Create(name);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<ObjectWriter>(new Writer(std::move(*inner)));
  }

 private:
  class Writer : public ObjectWriter {
   public:
    explicit Writer(std::unique_ptr<ObjectWriter> w) : w_(std::move(w)) {}
    absl::Status Append(std::string_view data) override {
      std::string copy(data);
      if (!copy.empty() && !flipped_) {
        copy[copy.size() / 2] ^= 0x10;
        flipped_ = true;
      }
      return w_->Append(copy);
    }
    absl::Status Close() override { return w_->Close(); }

   private:
    std::unique_ptr<ObjectWriter> w_;
    bool flipped_ = false;
  };
};

// A source that counts the bytes read from each object.
class CountingStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override {
    auto inner = target()->OpenForRead(name);
    if (!inner.ok()) return inner.status();
    return std::unique_ptr<ReadableObject>(
        new Reader(std::move(*inner), &bytes_[std::string(name)]));
  }
  // Creates the counters of `names` up front (the map is not locked).
  void Track(const std::vector<std::string>& names) {
    for (const std::string& n : names) bytes_[n] = 0;
  }
  uint64_t bytes(const std::string& name) const { return bytes_.at(name); }

 private:
  class Reader : public ReadableObject {
   public:
    Reader(std::unique_ptr<ReadableObject> r, std::atomic<uint64_t>* count)
        : r_(std::move(r)), count_(count) {}
    uint64_t size() const override { return r_->size(); }
    absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                            char* scratch) const override {
      auto got = r_->ReadAt(offset, n, scratch);
      if (got.ok()) *count_ += got->size();
      return got;
    }

   private:
    std::unique_ptr<ReadableObject> r_;
    std::atomic<uint64_t>* count_;
  };
  std::map<std::string, std::atomic<uint64_t>> bytes_;
};

class MirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 12; ++i) {
      std::string name = "log/seg-" + std::to_string(100 + i);
      model_[name] = Pattern(1000 + i * 777, i);
      ASSERT_TRUE(from_->WriteAll(name, model_[name]).ok());
    }
    model_["snap/1"] = Pattern(50000, 99);
    ASSERT_TRUE(from_->WriteAll("snap/1", model_["snap/1"]).ok());
  }
  std::unique_ptr<Storage> from_ = NewMemoryStorage();
  std::unique_ptr<Storage> to_ = NewMemoryStorage();
  std::map<std::string, std::string> model_;
};

TEST_F(MirrorTest, CopiesEverythingThenNothing) {
  auto r = MirrorRepository(from_.get(), to_.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->source_objects, model_.size());
  EXPECT_EQ(r->copied_objects, model_.size());
  uint64_t bytes = 0;
  for (const auto& [name, data] : model_) {
    EXPECT_EQ(Read(to_.get(), name), data) << name;
    bytes += data.size();
  }
  EXPECT_EQ(r->copied_bytes, bytes);
  EXPECT_EQ(r->copied.size(), model_.size());
  EXPECT_TRUE(std::is_sorted(r->copied.begin(), r->copied.end()));
  auto again = MirrorRepository(from_.get(), to_.get());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->copied_objects, 0u);
  EXPECT_EQ(again->already_present, model_.size());
  EXPECT_THAT(again->conflicts, IsEmpty());
}

TEST_F(MirrorTest, CopiesOnlyWhatIsMissing) {
  ASSERT_TRUE(to_->WriteAll("log/seg-100", model_["log/seg-100"]).ok());
  auto r = MirrorRepository(from_.get(), to_.get());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->already_present, 1u);
  EXPECT_EQ(r->copied_objects, model_.size() - 1);
}

TEST_F(MirrorTest, NeverOverwritesAndReportsConflicts) {
  ASSERT_TRUE(to_->WriteAll("log/seg-101", "different size").ok());
  std::string same_size = model_["log/seg-102"];
  same_size[0] ^= 1;
  ASSERT_TRUE(to_->WriteAll("log/seg-102", same_size).ok());
  auto r = MirrorRepository(from_.get(), to_.get());
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->conflicts, ElementsAre("log/seg-101"));
  EXPECT_EQ(Read(to_.get(), "log/seg-101"), "different size");
  // Same size: found only when checksums of existing objects are compared.
  MirrorOptions deep;
  deep.verify_existing = true;
  auto d = MirrorRepository(from_.get(), to_.get(), deep);
  ASSERT_TRUE(d.ok());
  EXPECT_THAT(d->conflicts, ElementsAre("log/seg-101", "log/seg-102"));
  EXPECT_EQ(Read(to_.get(), "log/seg-102"), same_size);
}

TEST_F(MirrorTest, SkipsTemporariesAndHonoursFilterAndPrefix) {
  ASSERT_TRUE(from_->WriteAll("log/seg-200.0123.tmp", "partial").ok());
  MirrorOptions o;
  o.prefix = "log/";
  auto r = MirrorRepository(from_.get(), to_.get(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->copied_objects, 12u);
  EXPECT_TRUE(absl::IsNotFound(to_->Stat("log/seg-200.0123.tmp").status()));
  EXPECT_TRUE(absl::IsNotFound(to_->Stat("snap/1").status()));
  o.prefix = "";
  o.filter = [](const ObjectInfo& i) { return i.name == "snap/1"; };
  auto f = MirrorRepository(from_.get(), to_.get(), o);
  ASSERT_TRUE(f.ok());
  EXPECT_THAT(f->copied, ElementsAre("snap/1"));
  EXPECT_EQ(f->source_objects, 1u);
}

TEST_F(MirrorTest, DryRunWritesNothing) {
  MirrorOptions o;
  o.dry_run = true;
  auto r = MirrorRepository(from_.get(), to_.get(), o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->copied_objects, model_.size());
  auto list = to_->List("");
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, IsEmpty());
}

TEST_F(MirrorTest, VerificationCatchesACorruptCopyAndRemovesIt) {
  CorruptingStorage bad(to_.get());
  MirrorOptions o;
  o.parallelism = 1;
  auto r = MirrorRepository(from_.get(), &bad, o);
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("log/seg-100"));
  EXPECT_TRUE(absl::IsNotFound(to_->Stat("log/seg-100").status()));
}

TEST_F(MirrorTest, SourceCheckRejectsDamagedObjectsAndGoesOn) {
  MirrorOptions o;
  std::atomic<int> checked{0};
  o.verify_source = [&](Storage* from, const ObjectInfo& info) {
    ++checked;
    // The source, or a view of it serving this object from memory.
    EXPECT_EQ(Read(from, info.name), model_.at(info.name)) << info.name;
    if (info.name == "log/seg-104") {
      return absl::DataLossError("log/seg-104: bad block checksum at 12");
    }
    return absl::OkStatus();
  };
  auto r = MirrorRepository(from_.get(), to_.get(), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(checked.load(), static_cast<int>(model_.size()));
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].name, "log/seg-104");
  EXPECT_THAT(r->rejected[0].message, HasSubstr("bad block checksum"));
  EXPECT_EQ(r->copied_objects, model_.size() - 1);
  EXPECT_TRUE(absl::IsNotFound(to_->Stat("log/seg-104").status()));
  // Any other failure of the check stops the mirror.
  o.verify_source = [](Storage*, const ObjectInfo&) {
    return absl::UnavailableError("source unreachable");
  };
  auto stopped = MirrorRepository(from_.get(), to_.get(), o);
  EXPECT_TRUE(absl::IsUnavailable(stopped.status())) << stopped.status();
  EXPECT_TRUE(absl::IsNotFound(to_->Stat("log/seg-104").status()));
}

// With a source check, an object up to read_once_max_bytes is read from the
// source once (checked and copied from memory); a larger one is read by the
// check and again by the copy. Either way the copy is exact.
TEST_F(MirrorTest, ReadsACheckedObjectOnceUpToTheLimit) {
  for (uint64_t limit : {uint64_t{128} << 20, uint64_t{5000}, uint64_t{0}}) {
    SCOPED_TRACE(limit);
    CountingStorage source(from_.get());
    std::vector<std::string> names;
    for (const auto& [name, data] : model_) names.push_back(name);
    source.Track(names);
    auto to = NewMemoryStorage();
    MirrorOptions o;
    o.read_once_max_bytes = limit;
    o.verify_source = [&](Storage* from, const ObjectInfo& info) {
      // A check that reads the whole object, as the segment check does.
      auto data = from->ReadAll(info.name);
      if (!data.ok()) return data.status();
      EXPECT_EQ(*data, model_.at(info.name)) << info.name;
      return absl::OkStatus();
    };
    auto r = MirrorRepository(&source, to.get(), o);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->copied_objects, model_.size());
    for (const auto& [name, data] : model_) {
      EXPECT_EQ(Read(to.get(), name), data) << name;
      const uint64_t reads = data.size() <= limit ? 1 : 2;
      EXPECT_EQ(source.bytes(name), reads * data.size()) << name;
    }
  }
}

// An object deleted at the source before it is read once is reported as
// vanished, not as an error, and nothing of it reaches the destination.
TEST_F(MirrorTest, ObjectVanishingBeforeItsReadIsReported) {
  MirrorOptions o;
  o.parallelism = 1;
  o.filter = [&](const ObjectInfo& info) {
    // Called while the listing is filtered, before any copy starts.
    if (info.name == "log/seg-105") {
      EXPECT_TRUE(from_->Delete(info.name).ok());
    }
    return true;
  };
  o.verify_source = [](Storage*, const ObjectInfo&) {
    return absl::OkStatus();
  };
  auto r = MirrorRepository(from_.get(), to_.get(), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->vanished, ElementsAre("log/seg-105"));
  EXPECT_EQ(r->copied_objects, model_.size() - 1);
  EXPECT_TRUE(absl::IsNotFound(to_->Stat("log/seg-105").status()));
}

TEST_F(MirrorTest, FailureStopsAndRerunCompletes) {
  FaultInjectionStorage faulty(to_.get());
  faulty.FailNth(FaultOp::kClose, 5, FaultKind::kEio);
  MirrorOptions o;
  o.parallelism = 1;
  auto r = MirrorRepository(from_.get(), &faulty, o);
  EXPECT_TRUE(absl::IsInternal(r.status())) << r.status();
  auto again = MirrorRepository(from_.get(), &faulty, o);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->already_present, 4u);
  for (const auto& [name, data] : model_) {
    EXPECT_EQ(Read(to_.get(), name), data) << name;
  }
}

TEST(MirrorLargeTest, StreamsObjectsLargerThanTheBufferLocalToMemory) {
  TempDir tmp;
  auto local = OpenLocalStorage(tmp.path() + "/repo", true);
  ASSERT_TRUE(local.ok());
  const std::string big = Pattern((20 << 20) + 3, 5);
  ASSERT_TRUE((*local)->WriteAll("big", big).ok());
  auto mem = NewMemoryStorage();
  auto r = MirrorRepository(local->get(), mem.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->copied_bytes, big.size());
  auto back = mem->ReadAll("big");
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == big);
}

// A copy that died before Close() left its temporary in a local mirror: the
// next run removes it once stale (never a young one, never in a dry run),
// reports it, and copies the object whole.
TEST(MirrorLocalTest, RemovesStaleTemporariesOfAnInterruptedCopy) {
  TempDir tmp;
  auto local = OpenLocalStorage(tmp.path() + "/mirror", true);
  ASSERT_TRUE(local.ok());
  auto from = NewMemoryStorage();
  const std::string seg = Pattern(5000, 7);
  ASSERT_TRUE(from->WriteAll("log/seg-1", seg).ok());
  namespace fs = std::filesystem;
  fs::create_directories(tmp.path() + "/mirror/log");
  const std::string stale = "log/seg-1.00000000deadbeef.tmp";
  const std::string young = "log/seg-2.00000000cafef00d.tmp";
  for (const std::string& t : {stale, young}) {
    std::ofstream(tmp.path() + "/mirror/" + t) << "partial";
  }
  fs::last_write_time(tmp.path() + "/mirror/" + stale,
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  MirrorOptions o;
  o.dry_run = true;
  auto dry = MirrorRepository(from.get(), local->get(), o);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_THAT(dry->removed_temporaries, IsEmpty());
  EXPECT_TRUE(fs::exists(tmp.path() + "/mirror/" + stale));
  o.dry_run = false;
  auto r = MirrorRepository(from.get(), local->get(), o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->removed_temporaries, ElementsAre(stale));
  EXPECT_FALSE(fs::exists(tmp.path() + "/mirror/" + stale));
  EXPECT_TRUE(fs::exists(tmp.path() + "/mirror/" + young));
  EXPECT_THAT(r->copied, ElementsAre("log/seg-1"));
  EXPECT_EQ(Read(local->get(), "log/seg-1"), seg);
  // Kept when asked to.
  fs::last_write_time(tmp.path() + "/mirror/" + young,
                      fs::file_time_type::clock::now() - std::chrono::hours(1));
  o.remove_temporaries_older_than = absl::InfiniteDuration();
  auto kept = MirrorRepository(from.get(), local->get(), o);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_THAT(kept->removed_temporaries, IsEmpty());
  EXPECT_TRUE(fs::exists(tmp.path() + "/mirror/" + young));
}

}  // namespace
}  // namespace wayback::testing
