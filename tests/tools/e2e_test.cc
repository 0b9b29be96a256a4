// Copyright 2026 The Wayback Authors.
//
// The built `wayback` binary, end to end: a few commands as a user types
// them, and bad input that must end with a clear message and exit status 2,
// never a crash or a stack trace.

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"

namespace wayback {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `wayback ARGS` through the shell (ARGS are shell words).
Result Wayback(const std::string& args, const std::string& stdin_text = "") {
  static testing::TempDir* io = new testing::TempDir;
  std::string in = io->path() + "/in", out = io->path() + "/out",
              err = io->path() + "/err";
  std::ofstream(in) << stdin_text;
  std::string cmd = std::string(WAYBACK_BINARY) + " " + args + " <" + in +
                    " >" + out + " 2>" + err;
  int status = std::system(cmd.c_str());
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, Slurp(out), Slurp(err)};
}

void ExpectCleanFailure(const Result& r) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("error"));
  EXPECT_THAT(r.err, Not(HasSubstr("terminate called")));
  EXPECT_THAT(r.err, Not(HasSubstr("Aborted")));
  EXPECT_THAT(r.err, Not(HasSubstr("what():")));
}

TEST(WaybackBinary, GenerateInspectRestoreVerify) {
  testing::TempDir dir;
  std::string repo = dir.path() + "/repo";
  auto gen = Wayback("gen --repo " + repo +
                     " --days 0.5 --rate 0.1 --snapshot-every 4h");
  ASSERT_EQ(gen.code, 0) << gen.err;
  EXPECT_THAT(gen.out, HasSubstr("Generated a clinical workload"));
  auto info = Wayback("info --repo " + repo);
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_THAT(info.out,
              HasSubstr("recoverable  timeline 1: from the empty state"));
  auto restore = Wayback(
      "restore --repo " + repo +
      " --to 2026-11-24T06:30:00Z --into rocksdb:" + dir.path() + "/db");
  ASSERT_EQ(restore.code, 0) << restore.err;
  EXPECT_THAT(restore.out,
              HasSubstr("instant (UTC)   2026-11-24T06:30:00.000000000Z"));
  EXPECT_EQ(restore.err, "");  // Not a terminal: no progress display.
  auto verify = Wayback("verify --repo " + repo);
  EXPECT_EQ(verify.code, 0) << verify.out << verify.err;
}

TEST(WaybackBinary, ImportFromStandardInput) {
  testing::TempDir dir;
  auto r = Wayback(
      "import --repo " + dir.path() + "/repo -",
      R"({"time": "@1000", "ops": [{"op": "put", "key": "k", "value": "v"}]})"
      "\n");
  ASSERT_EQ(r.code, 0) << r.err;
  auto e = Wayback("export --repo " + dir.path() + "/repo --latest");
  EXPECT_EQ(e.out, "{\"key\":\"k\",\"value\":\"v\"}\n");
}

TEST(WaybackBinary, HelpExitsZero) {
  auto r = Wayback("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("Examples:"));
}

TEST(WaybackBinary, BadInputFailsCleanly) {
  testing::TempDir dir;
  ExpectCleanFailure(Wayback("restore --bogus"));
  ExpectCleanFailure(Wayback("info --repo /nonexistent/repo"));
  ExpectCleanFailure(Wayback("info --repo " + dir.path()));
  ExpectCleanFailure(
      Wayback("plan --repo " + dir.path() + " --to 2026-11-25T10:00:00"));
  ExpectCleanFailure(Wayback("plan --repo x --latest --lsn 3"));
  ExpectCleanFailure(
      Wayback("import --repo " + dir.path() + "/r -", "{not json}\n"));
  ExpectCleanFailure(Wayback("gen --repo " + dir.path() + "/g --days -1"));
}

}  // namespace
}  // namespace wayback
