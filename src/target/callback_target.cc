// Copyright 2026 The Wayback Authors.
//
// The callback target: hands each transaction (and, for a snapshot load, each
// pair) to the application. It keeps no state, so it cannot report a digest
// or contents; it remembers the restore marker so that Begin()/Finish() and
// ReadMarker() behave as for every other target.

#include <optional>
#include <utility>

#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

class CallbackTarget final : public StateTarget {
 public:
  CallbackTarget(
      std::function<absl::Status(const LogRecord&)> on_transaction,
      std::function<absl::Status(std::string_view, std::string_view)> on_pair)
      : on_transaction_(std::move(on_transaction)),
        on_pair_(std::move(on_pair)) {}

  absl::StatusOr<bool> IsEmpty() override { return true; }
  absl::Status Clear() override {
    marker_.reset();
    return absl::OkStatus();
  }
  absl::Status Begin(const RestoreMarker& marker) override {
    marker_ = marker;
    marker_->complete = false;
    return absl::OkStatus();
  }
  absl::Status Finish(const RestoreMarker& marker) override {
    marker_ = marker;
    marker_->complete = true;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<RestoreMarker>> ReadMarker() override {
    return marker_;
  }

  absl::Status LoadSnapshot(SnapshotReader* snapshot) override {
    if (!on_snapshot_pair_set()) {
      return absl::UnimplementedError(
          "callback target: no snapshot-pair callback, cannot load a "
          "snapshot");
    }
    std::unique_ptr<SnapshotIterator> it = snapshot->NewIterator();
    std::string_view key, value;
    while (it->Next(&key, &value)) {
      WAYBACK_RETURN_IF_ERROR(on_pair_(key, value));
    }
    return it->status();
  }

  absl::Status ApplyTransaction(const LogRecord& record) override {
    if (!on_transaction_) return absl::OkStatus();
    return on_transaction_(record);
  }

  absl::StatusOr<StateDigest> Digest() override {
    return absl::UnimplementedError("callback target keeps no state: digest");
  }
  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>&) override {
    return absl::UnimplementedError("callback target keeps no state: ForEach");
  }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view) override {
    return absl::UnimplementedError("callback target keeps no state: Get");
  }

 private:
  bool on_snapshot_pair_set() const { return static_cast<bool>(on_pair_); }

  std::function<absl::Status(const LogRecord&)> on_transaction_;
  std::function<absl::Status(std::string_view, std::string_view)> on_pair_;
  std::optional<RestoreMarker> marker_;
};

}  // namespace

std::unique_ptr<StateTarget> NewCallbackTarget(
    std::function<absl::Status(const LogRecord&)> on_transaction,
    std::function<absl::Status(std::string_view key, std::string_view value)>
        on_snapshot_pair) {
  return std::make_unique<CallbackTarget>(std::move(on_transaction),
                                          std::move(on_snapshot_pair));
}

}  // namespace wayback
