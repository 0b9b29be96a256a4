// Copyright 2026 The Wayback Authors.
//
// wayback export: the state at a target as JSONL or CSV, sorted by key bytes.

#include <fstream>

#include "src/workload/workload.h"
#include "tools/common.h"
#include "wayback/state_target.h"

namespace wayback::cli {
namespace {

// RFC 4180: quote every field that needs it, doubling quotes.
std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos)
    return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

class ExportCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "export", "Write the state at a target as JSONL or CSV, sorted by key");
    flags_.Add(app);
    target_.Add(app);
    app->add_option("--format", format_, "jsonl or csv")
        ->capture_default_str()
        ->check(CLI::IsMember({"jsonl", "csv"}));
    app->add_option("--output,-o", output_,
                    "Write to this file instead of standard output");
    app->footer(
        "JSONL: one {\"key\": ..., \"value\": ...} per line; bytes that are "
        "not "
        "UTF-8\nare written as \"key_b64\" / \"value_b64\" instead. CSV: "
        "columns "
        "key,value,key_b64,value_b64\nwith exactly one of each pair filled.\n\n"
        "Examples:\n"
        "  wayback export --repo ./demo-repo --to 2026-11-25T12:00:00Z > "
        "state.jsonl\n"
        "  wayback export --repo ./demo-repo --latest --format csv -o "
        "state.csv");
    return app;
  }

  int Run(Io& io) override {
    auto target = target_.Resolve();
    if (!target.ok())
      return Usage(io, "export", std::string(target.status().message()));
    auto storage = OpenRepository(flags_.repo);
    if (!storage.ok()) return Fail(io, "export", storage.status());
    std::ofstream file;
    std::ostream* out = &io.out;
    if (!output_.empty()) {
      file.open(output_, std::ios::binary | std::ios::trunc);
      if (!file) {
        return Usage(io, "export", absl::StrCat("cannot write ", output_));
      }
      out = &file;
    }
    auto catalog = Catalog::Open((*storage)->storage());
    if (!catalog.ok()) return Fail(io, "export", catalog.status());
    auto plan = PlanRecovery(**catalog, *target);
    if (!plan.ok()) return Fail(io, "export", plan.status());
    auto state = NewMemoryTarget();
    auto result = Restore((*storage)->storage(), *plan, state.get(), {});
    if (!result.ok()) return Fail(io, "export", result.status());
    if (format_ == "csv") *out << "key,value,key_b64,value_b64\n";
    absl::Status s =
        state->ForEach([&](std::string_view k, std::string_view v) {
          if (format_ == "csv") {
            bool kt = IsValidUtf8(k), vt = IsValidUtf8(v);
            *out << (kt ? CsvField(k) : "") << ',' << (vt ? CsvField(v) : "")
                 << ',' << (kt ? "" : Base64Encode(k)) << ','
                 << (vt ? "" : Base64Encode(v)) << "\n";
          } else {
            json j = json::object();
            PutBytesField(&j, "key", k);
            PutBytesField(&j, "value", v);
            *out << j.dump() << "\n";
          }
          return static_cast<bool>(*out);
        });
    if (!s.ok()) return Fail(io, "export", s);
    out->flush();
    if (!*out)
      return Fail(io, "export",
                  absl::InternalError("writing the output failed"));
    if (!output_.empty()) {
      io.err << "Exported "
             << FormatCount(result->digest ? result->digest->count : 0)
             << " keys at " << result->plan.target.ToString() << " to "
             << output_ << "\n";
    }
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  TargetFlags target_;
  std::string format_ = "jsonl";
  std::string output_;
};

}  // namespace

std::unique_ptr<Command> NewExportCommand() {
  return std::make_unique<ExportCommand>();
}

}  // namespace wayback::cli
