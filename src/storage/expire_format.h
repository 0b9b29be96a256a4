// Copyright 2026 The Wayback Authors.
//
// Retention's bookkeeping objects under expire/: the expire intent (the
// objects a run of `wayback expire` found expendable and will delete after
// the grace period) and the expiry horizon (how far expiry has gone, so a
// mirror pass does not copy back what a mirror's own expiry removed). The
// format is specified in expire_format.md beside this file; the numbers and
// words here are its only encoding in code.

#ifndef WAYBACK_SRC_STORAGE_EXPIRE_FORMAT_H_
#define WAYBACK_SRC_STORAGE_EXPIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback::expire_format {

// Every retention object's name starts with this.
inline constexpr std::string_view kPrefix = "expire/";
// The first line of an intent, up to and excluding the version. Frozen.
inline constexpr std::string_view kIntentMagicLine = "wayback-expire-intent ";
// The version this code writes and the highest it reads (0 is reserved).
inline constexpr int kIntentVersion = 1;
// The largest intent a reader accepts (about 200,000 objects); a larger one
// is damage.
inline constexpr size_t kMaxIntentBytes = 16u << 20;

// One object an intent lists, with its size when the intent was written.
struct IntentEntry {
  std::string name;
  uint64_t size = 0;
};

struct Intent {
  // When the run that wrote it found the objects expendable (ns since the
  // Unix epoch, by the run's clock). Informative: the grace period is
  // measured from the object's modification time in the storage.
  int64_t created = 0;
  // In the order they are to be deleted.
  std::vector<IntentEntry> objects;
};

// "expire/intent-<created: 16 hex>-<nonce: 8 hex>.intent".
std::string IntentObjectName(int64_t created, uint32_t nonce);
// True for a name IntentObjectName() can produce.
bool IsIntentObjectName(std::string_view name);

// The object's bytes. kInvalidArgument for a name that is not a valid object
// name or holds a line break.
absl::StatusOr<std::string> EncodeIntent(const Intent& intent);
// Parses an intent read from `object` (named in messages). kDataLoss naming
// the object and the byte offset for any damage; kFailedPrecondition for a
// newer version.
absl::StatusOr<Intent> DecodeIntent(std::string_view bytes,
                                    std::string_view object);

// "expire/horizon-<timeline: 8 hex>-<lsn: 16 hex>" (an empty object).
std::string HorizonObjectName(TimelineId timeline, Lsn lsn);
// Parses a horizon name; false for anything else.
bool ParseHorizonObjectName(std::string_view name, TimelineId* timeline,
                            Lsn* lsn);

// Reads every intent in `storage`: the intents by object name. An intent
// deleted between the listing and the read is left out; `damaged` (if not
// null) receives the name and error of each one that does not decode.
// I/O errors as the storage gave them.
absl::StatusOr<std::map<std::string, Intent>> ReadIntents(
    Storage* storage,
    std::vector<std::pair<std::string, absl::Status>>* damaged = nullptr);

// The highest horizon per timeline among the horizon objects of `storage`.
absl::StatusOr<std::map<TimelineId, Lsn>> ReadHorizons(Storage* storage);

}  // namespace wayback::expire_format

#endif  // WAYBACK_SRC_STORAGE_EXPIRE_FORMAT_H_
