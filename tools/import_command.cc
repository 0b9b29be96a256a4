// Copyright 2026 The Wayback Authors.
//
// wayback import: builds a new repository from JSONL change events
// (docs/import_format.md).

#include <fstream>
#include <iostream>

#include "src/workload/workload.h"
#include "tools/common.h"

namespace wayback::cli {
namespace {

class ImportCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "import", "Build a new repository from JSONL change events");
    flags_.Add(app);
    app->add_option("--format", format_, "Input format (only jsonl)")
        ->capture_default_str()
        ->check(CLI::IsMember({"jsonl"}));
    app->add_option("--snapshot-every", snapshot_every_,
                    "Cut a snapshot after every N transactions (0: none)")
        ->capture_default_str();
    app->add_option("FILE", file_, "The JSONL file, or - for standard input")
        ->required();
    app->footer(
        "One JSON object per line (see docs/import_format.md):\n"
        "  {\"txid\": 17, \"time\": \"2026-11-25T10:42:00.000001234Z\", "
        "\"ops\": "
        "[{\"op\": \"put\", \"key\": \"patient/42\", \"value\": \"...\"}, "
        "{\"op\": \"delete\", \"key\": \"patient/43\"}]}\n"
        "  {\"restore_point\": \"before-batch\", \"time\": "
        "\"2026-11-25T10:42:01Z\"}\n"
        "key_b64 / value_b64 carry bytes that are not UTF-8; times must not "
        "decrease.\nA bad line stops the import; the repository then holds "
        "exactly the lines before it.\n\n"
        "Examples:\n"
        "  wayback import --repo ./repo --format jsonl events.jsonl\n"
        "  producer | wayback import --repo ./repo --snapshot-every 10000 -");
    return app;
  }

  int Run(Io& io) override {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (file_ != "-") {
      file.open(file_);
      if (!file) {
        return Usage(io, "import",
                     absl::StrCat("cannot open input file ", file_));
      }
      in = &file;
    }
    auto storage = CreateRepository(flags_.repo, "import");
    if (!storage.ok()) return Fail(io, "import", storage.status());
    ImportOptions o;
    o.snapshot_every = snapshot_every_;
    ImportResult partial;
    auto r = ImportJsonl(storage->get(), *in, o, &partial);
    if (!r.ok()) {
      if (flags_.json) {
        io.out << json{{"ok", false},
                       {"error", std::string(r.status().message())},
                       {"transactions", partial.transactions},
                       {"restore_points", partial.restore_points},
                       {"last_lsn", partial.last_lsn}}
                      .dump(2)
               << "\n";
      }
      io.err << "wayback import: error: " << r.status().message() << "\n";
      return kExitUsage;
    }
    if (flags_.json) {
      io.out << json{{"ok", true},
                     {"lines", r->lines},
                     {"transactions", r->transactions},
                     {"mutations", r->mutations},
                     {"restore_points", r->restore_points},
                     {"snapshots", r->snapshots},
                     {"last_lsn", r->last_lsn},
                     {"last_commit_time",
                      r->last_lsn ? json(FormatCommitTime(r->last_commit_time))
                                  : json(nullptr)},
                     {"final_state", DigestJson(r->final_digest)}}
                    .dump(2)
             << "\n";
      return kExitOk;
    }
    io.out << "Imported " << FormatCount(r->lines) << " lines into "
           << flags_.repo << ": " << FormatCount(r->transactions)
           << " transactions (" << FormatCount(r->mutations) << " mutations), "
           << r->restore_points << " restore points, " << r->snapshots
           << " snapshots; LSN 1-" << r->last_lsn << ".\n"
           << "Final state: " << FormatCount(r->final_digest.count)
           << " keys, digest " << r->final_digest.ToString() << "\n";
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  std::string format_ = "jsonl";
  uint64_t snapshot_every_ = 0;
  std::string file_;
};

}  // namespace

std::unique_ptr<Command> NewImportCommand() {
  return std::make_unique<ImportCommand>();
}

}  // namespace wayback::cli
