// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/run_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <new>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/util/coding.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::rocksdb_internal {

RunBuffer NewRunBuffer() {
  char* p = static_cast<char*>(std::aligned_alloc(kRunAlign, kRunBuffer));
  if (p == nullptr) throw std::bad_alloc();
  return RunBuffer(p);
}

bool DropDirect(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0;
}

int OpenMaybeDirect(const std::string& path, int flags, bool* direct) {
  int fd = ::open(path.c_str(), flags | O_DIRECT, 0600);
  *direct = fd >= 0;
  if (fd < 0 && errno == EINVAL) fd = ::open(path.c_str(), flags, 0600);
  return fd;
}

// RunWriter ------------------------------------------------------------------

RunWriter::~RunWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status RunWriter::Open(std::string path) {
  run_.path = std::move(path);
  fd_ = OpenMaybeDirect(run_.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                        &direct_);
  if (fd_ < 0) return IoError("create run", run_.path, errno);
  buf_ = NewRunBuffer();
  return absl::OkStatus();
}

absl::Status RunWriter::Add(uint8_t flags, std::string_view key,
                            std::string_view value) {
  if (run_.size >= next_index_at_) {
    run_.index.push_back({std::string(key), run_.size});
    next_index_at_ = run_.size + kRunIndexEvery;
  }
  char h[kRunHeader];
  h[0] = static_cast<char>(flags);
  EncodeFixed32(h + 1, static_cast<uint32_t>(key.size()));
  EncodeFixed32(h + 5, static_cast<uint32_t>(value.size()));
  WAYBACK_RETURN_IF_ERROR(Append(h, kRunHeader));
  WAYBACK_RETURN_IF_ERROR(Append(key.data(), key.size()));
  WAYBACK_RETURN_IF_ERROR(Append(value.data(), value.size()));
  run_.size += kRunHeader + key.size() + value.size();
  ++run_.entries;
  return absl::OkStatus();
}

absl::StatusOr<Run> RunWriter::Close() {
  if (used_ > 0) {
    // O_DIRECT writes whole aligned blocks: pad the tail with zeros, then
    // cut the file back to the entries' end.
    const size_t n =
        direct_ ? (used_ + kRunAlign - 1) / kRunAlign * kRunAlign : used_;
    const bool padded = n != used_;
    std::memset(buf_.get() + used_, 0, n - used_);
    WAYBACK_RETURN_IF_ERROR(Write(n));
    if (padded && ::ftruncate(fd_, static_cast<off_t>(run_.size)) != 0) {
      return IoError("truncate run", run_.path, errno);
    }
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return IoError("close run", run_.path, errno);
  return std::move(run_);
}

absl::Status RunWriter::Append(const char* p, size_t n) {
  while (n > 0) {
    const size_t k = std::min(n, kRunBuffer - used_);
    std::memcpy(buf_.get() + used_, p, k);
    used_ += k;
    p += k;
    n -= k;
    if (used_ == kRunBuffer) WAYBACK_RETURN_IF_ERROR(Write(kRunBuffer));
  }
  return absl::OkStatus();
}

absl::Status RunWriter::Write(size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::write(fd_, buf_.get() + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EINVAL && direct_ && done == 0 && DropDirect(fd_)) {
      // Accepted at open, refused at the first write (some file systems):
      // buffered from here on.
      direct_ = false;
      continue;
    }
    if (w < 0) return IoError("write run", run_.path, errno);
    if (w == 0 || (direct_ && static_cast<size_t>(w) % kRunAlign != 0)) {
      // A short O_DIRECT write leaves the next one unaligned: the disk is
      // most likely full.
      return IoError("write run", run_.path, w == 0 ? EIO : ENOSPC);
    }
    done += static_cast<size_t>(w);
  }
  used_ = 0;
  return absl::OkStatus();
}

// RunReader ------------------------------------------------------------------

RunReader::RunReader(const Run* run) : run_(run) {}

RunReader::~RunReader() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status RunReader::SeekTo(std::string_view start) {
  fd_ = OpenMaybeDirect(run_->path, O_RDONLY | O_CLOEXEC, &direct_);
  if (fd_ < 0) return IoError("open run", run_->path, errno);
  auto it = std::upper_bound(
      run_->index.begin(), run_->index.end(), start,
      [](std::string_view k, const RunIndexEntry& e) { return k < e.key; });
  file_off_ = it == run_->index.begin() ? 0 : std::prev(it)->offset;
  pos_ = end_ = 0;
  bool has = false;
  for (;;) {
    WAYBACK_RETURN_IF_ERROR(Read(&has));
    if (!has || key_ >= start) break;
  }
  pending_ = has;
  at_end_ = !has;
  return absl::OkStatus();
}

absl::Status RunReader::Next(bool* has) {
  if (pending_) {
    pending_ = false;
    *has = true;
    return absl::OkStatus();
  }
  if (at_end_) {
    *has = false;
    return absl::OkStatus();
  }
  WAYBACK_RETURN_IF_ERROR(Read(has));
  at_end_ = !*has;
  return absl::OkStatus();
}

absl::Status RunReader::Read(bool* has) {
  bool eof = false;
  WAYBACK_RETURN_IF_ERROR(Fill(kRunHeader, &eof));
  if (eof && end_ == pos_) {
    *has = false;
    return absl::OkStatus();
  }
  if (eof) return Damaged("entry header cut short");
  const char* h = buf_.data() + pos_;
  const uint8_t flags = static_cast<uint8_t>(h[0]);
  const uint32_t ks = DecodeFixed32(h + 1), vs = DecodeFixed32(h + 5);
  const uint64_t need = kRunHeader + uint64_t{ks} + vs;
  if ((flags & ~kTombstone) != 0 || file_off_ + pos_ + need > run_->size) {
    return Damaged("malformed entry header");
  }
  WAYBACK_RETURN_IF_ERROR(Fill(need, &eof));
  if (eof) return Damaged("entry cut short");
  const char* p = buf_.data() + pos_ + kRunHeader;
  std::string_view key(p, ks);
  if (have_prev_ && !(prev_key_ < key)) return Damaged("keys out of order");
  flags_ = flags;
  key_ = key;
  value_ = std::string_view(p + ks, vs);
  prev_key_.assign(key_.data(), key_.size());
  have_prev_ = true;
  pos_ += need;
  *has = true;
  return absl::OkStatus();
}

absl::Status RunReader::Fill(uint64_t need, bool* eof) {
  *eof = false;
  if (end_ - pos_ >= need) return absl::OkStatus();
  std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
  file_off_ += pos_;
  end_ -= pos_;
  pos_ = 0;
  if (buf_.size() < std::max<uint64_t>(need, kRunBuffer)) {
    buf_.resize(std::max<uint64_t>(need, kRunBuffer));
  }
  while (end_ < need) {
    WAYBACK_ASSIGN_OR_RETURN(
        size_t n,
        ReadAt(file_off_ + end_, buf_.data() + end_, buf_.size() - end_));
    if (n == 0) {
      *eof = true;
      return absl::OkStatus();
    }
    end_ += n;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> RunReader::ReadAt(uint64_t off, char* dst, size_t n) {
  if (!direct_) {
    for (;;) {
      ssize_t r = ::pread(fd_, dst, n, static_cast<off_t>(off));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return IoError("read run", run_->path, errno);
      return static_cast<size_t>(r);
    }
  }
  if (off < win_off_ || off >= win_off_ + win_len_) {
    if (win_ == nullptr) win_ = NewRunBuffer();
    win_off_ = off / kRunAlign * kRunAlign;
    win_len_ = 0;
    for (;;) {
      ssize_t r =
          ::pread(fd_, win_.get(), kRunBuffer, static_cast<off_t>(win_off_));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno == EINVAL && DropDirect(fd_)) {
        // Accepted at open, refused at the read: buffered from here on.
        direct_ = false;
        return ReadAt(off, dst, n);
      }
      if (r < 0) return IoError("read run", run_->path, errno);
      win_len_ = static_cast<size_t>(r);
      break;
    }
    if (off >= win_off_ + win_len_) return size_t{0};
  }
  const size_t k = std::min<uint64_t>(n, win_off_ + win_len_ - off);
  std::memcpy(dst, win_.get() + (off - win_off_), k);
  return k;
}

absl::Status RunReader::Damaged(std::string_view why) const {
  return absl::DataLossError(absl::StrCat("rocksdb target: scratch run ",
                                          run_->path, " at byte ",
                                          file_off_ + pos_, ": ", AV(why)));
}

}  // namespace wayback::rocksdb_internal
