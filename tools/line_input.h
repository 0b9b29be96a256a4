// Copyright 2026 The Wayback Authors.
//
// Line input for `wayback ingest`: standard input, a file read to its end, or
// a file followed like `tail -F` (it grows; it is rotated away and replaced;
// it is truncated in place), with the file's identity and offset so that a
// restarted ingester resumes where the previous one stopped.

#ifndef WAYBACK_TOOLS_LINE_INPUT_H_
#define WAYBACK_TOOLS_LINE_INPUT_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wayback::cli {

// Where a followed input stands: the file (device and inode, which survive
// a rename) and the byte offset of the first line not yet consumed.
struct InputPosition {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t offset = 0;
};

class LineInput {
 public:
  enum class Result {
    kLine,  // *line holds one line, without its newline.
    kIdle,  // No complete line available now (waited up to the poll time).
    kEnd,   // End of input (never while following).
  };

  // Standard input ("-") or a file read once to its end.
  static absl::StatusOr<LineInput> Open(const std::string& path);
  // Follows `path`. With `resume`, continues at that position when the file
  // is still `path` or was rotated to a sibling in the same directory (the
  // rest of the rotated file is read first); otherwise starts `path` at
  // offset 0 and says why in *note.
  static absl::StatusOr<LineInput> Follow(
      const std::string& path, const std::optional<InputPosition>& resume,
      std::string* note);

  LineInput(LineInput&&) noexcept;
  LineInput& operator=(LineInput&&) noexcept;
  ~LineInput();

  // The next line; waits at most `wait` for more input before kIdle.
  absl::StatusOr<Result> Next(std::string_view* line, absl::Duration wait);

  // The position after the last line returned (for a followed file).
  InputPosition position() const;
  // Events a follower met (rotations, truncations), for the log; cleared
  // when read.
  std::string TakeNotes();

 private:
  LineInput() = default;
  absl::Status Fill(absl::Duration wait, bool* got, bool* eof);
  absl::Status CheckRotation(bool* switched);

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool follow_ = false;
  bool is_stdin_ = false;
  uint64_t device_ = 0;
  uint64_t inode_ = 0;
  // Bytes of the file before buf_[0], and the buffered bytes.
  uint64_t buf_offset_ = 0;
  std::string buf_;
  size_t start_ = 0;  // First unconsumed byte of buf_.
  bool eof_ = false;
  // A rotated file being drained; `path_` is opened once it ends.
  bool draining_rotated_ = false;
  // The partial last line of a file rotated away, returned before the new
  // file's lines (and the storage of the line returned from it).
  std::optional<std::string> carry_;
  std::string carried_;
  std::string notes_;
};

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_LINE_INPUT_H_
