// Copyright 2026 The Wayback Authors.
//
// Object names that try to leave the repository: "..", absolute paths, "//",
// NUL, backslashes, "." components. Every storage operation must refuse them
// with kInvalidArgument, and nothing may appear outside the repository
// directory. A storage whose listing returns such names (a hostile object
// store) must not lead the catalog, the reader or verification outside either.
// Figures go to results/names.json.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/reliability/reliability_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/recovery.h"

namespace wayback::reliability {
namespace {

namespace fs = std::filesystem;

Results& Figures() {
  static Results* r = new Results("names");
  return *r;
}
class NamesEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Figures().Write(); }
};
const auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new NamesEnvironment);

std::vector<std::string> HostileNames(const std::string& outside) {
  return {"..",
          "../escape",
          "log/../../escape",
          "log/..",
          "a/../../escape",
          "/tmp/escape-absolute",
          outside + "/escape-absolute",
          "//escape",
          "log//seg",
          "log/",
          "",
          ".",
          "./log",
          "log/./x",
          std::string("log/a\0b", 7),
          std::string("\0", 1),
          "log\\..\\..\\escape",
          "..\\escape",
          "log/x/../../../escape"};
}

// Every file under `dir`, recursively.
std::set<std::string> Files(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    out.insert(it->path().string());
  }
  return out;
}

TEST(HostileNames, EveryOperationRefusesAndNothingLeaves) {
  wayback::testing::TempDir outer;
  const std::string repo = outer.path() + "/repo";
  const std::string sibling = outer.path() + "/sibling";
  fs::create_directories(sibling);
  auto local = OpenLocalStorage(repo, true);
  ASSERT_TRUE(local.ok()) << local.status();
  auto mem = NewMemoryStorage();
  const std::set<std::string> before = Files(outer.path());
  int64_t attempts = 0, refused = 0;
  for (Storage* s : {local->get(), mem.get()}) {
    ASSERT_TRUE(s->WriteAll("log/ok", "fine").ok());
    for (const std::string& name : HostileNames(sibling)) {
      std::vector<absl::Status> results;
      auto w = s->Create(name);
      results.push_back(w.status());
      if (w.ok()) {
        (void)(*w)->Append("x");
        results.push_back((*w)->Close());
      }
      results.push_back(s->WriteAll(name, "x"));
      results.push_back(s->OpenForRead(name).status());
      results.push_back(s->Stat(name).status());
      results.push_back(s->Delete(name));
      results.push_back(s->OpenAppendable(name, {}).status());
      results.push_back(s->Rename("log/ok", name));
      results.push_back(s->Rename(name, "log/ok2"));
      results.push_back(s->Lock(name).status());
      for (const absl::Status& st : results) {
        ++attempts;
        if (st.code() == absl::StatusCode::kInvalidArgument) {
          ++refused;
        } else {
          ADD_FAILURE() << s->uri() << " name \""
                        << absl::CEscape(
                               absl::string_view(name.data(), name.size()))
                        << "\": " << st;
        }
      }
    }
    // "log/ok" is still there, unchanged.
    auto data = s->ReadAll("log/ok");
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ(*data, "fine");
  }
  // Nothing outside the repository directory changed.
  std::set<std::string> after = Files(outer.path());
  std::set<std::string> new_outside;
  for (const std::string& f : after) {
    if (!before.count(f) && f.rfind(repo + "/", 0) != 0) new_outside.insert(f);
  }
  EXPECT_TRUE(new_outside.empty()) << *new_outside.begin();
  EXPECT_FALSE(fs::exists("/tmp/escape-absolute"));
  Figures().Set("operations", attempts);
  Figures().Set("refused", refused);
  Figures().Set("files_written_outside",
                static_cast<int64_t>(new_outside.size()));
  EXPECT_EQ(refused, attempts);
}

// A storage whose listing also returns hostile names (an object store we do
// not trust). The catalog, the reader and verification must not follow them
// out of the repository, crash, or count them as log.
class HostileListing : public StorageWrapper {
 public:
  HostileListing(Storage* target, std::vector<std::string> extra)
      : StorageWrapper(target), extra_(std::move(extra)) {}
  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    auto l = StorageWrapper::List(prefix);
    if (!l.ok()) return l;
    for (const std::string& n : extra_) {
      if (n.rfind(std::string(prefix), 0) == 0) l->push_back({n, 4096});
    }
    std::sort(l->begin(), l->end(),
              [](const ObjectInfo& a, const ObjectInfo& b) {
                return a.name < b.name;
              });
    return l;
  }

 private:
  std::vector<std::string> extra_;
};

TEST(HostileNames, HostileListingIsNotFollowed) {
  wayback::testing::TempDir outer;
  const std::string repo = outer.path() + "/repo";
  auto local = OpenLocalStorage(repo, true);
  ASSERT_TRUE(local.ok());
  auto ref = BuildReferenceLog({});
  ASSERT_TRUE(ref.ok());
  for (const auto& [n, d] : ref->image)
    ASSERT_TRUE((*local)->WriteAll(n, d).ok());
  // A copy of a real segment just outside the repository, where a "../"
  // name would lead.
  const std::string escape_seg = "log/../../00000001-00000000000000ff.seg";
  {
    std::ofstream(outer.path() + "/00000001-00000000000000ff.seg")
        << ref->image.at(ref->sealed[0]);
  }
  HostileListing hostile(
      local->get(),
      {escape_seg, "log/../00000001-0000000000000001.seg",
       "log//00000001-0000000000000001.seg", "snap/../../x.snap", "/etc/passwd",
       std::string("log/00000001-0000000000000001.seg\0x", 35)});
  const std::set<std::string> before = Files(outer.path());
  LogReadout got = ReadLog(&hostile);
  // The hostile names do not parse as segments: the log reads exactly.
  EXPECT_TRUE(got.status.ok()) << got.status;
  EXPECT_EQ(got.records, ref->records);
  auto catalog = Catalog::Open(&hostile);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto report = VerifyRepository(&hostile, {});
  EXPECT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Files(outer.path()), before);
  int64_t problems = 0;
  for (const CatalogProblem& p : (*catalog)->problems()) {
    ++problems;
    std::printf("catalog problem: %s: %s\n",
                absl::CEscape(absl::string_view(p.object)).c_str(),
                p.message.c_str());
  }
  Figures().Set("hostile_listing_catalog_problems", problems);
  Figures().Set("hostile_listing_log_exact", got.records == ref->records);
}

}  // namespace
}  // namespace wayback::reliability
