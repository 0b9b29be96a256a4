// Copyright 2026 The Wayback Authors.
//
// The S3-compatible backend. See s3_storage.h for the contract; this file
// explains the choices that the wire protocol forces. It holds the storage
// semantics only: the URI is parsed in s3_uri.cc, requests are built, sent
// and retried by S3Client (s3_client.cc), and responses' XML is read in
// s3_xml.cc.

#include "src/storage/s3_storage.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/storage/http_client.h"
#include "src/storage/s3_client.h"
#include "src/storage/s3_xml.h"
#include "src/storage/sigv4.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::s3 {
namespace {

using Call = S3Call;

class S3Storage;

// Ranged reads with adaptive read-ahead. Every GET costs a round trip, and
// readers (segment scans) ask for one small block after another, so a reader
// that goes forward gets a growing window (256 KiB doubling to 4 MiB) fetched
// in one GET and served from memory; the first read of an object, and any
// read that jumps, fetches exactly what was asked, so reading headers and
// footers of many objects (planning) stays cheap.
class S3Readable : public ReadableObject {
 public:
  S3Readable(S3Client* client, std::string key, uint64_t size)
      : client_(client), key_(std::move(key)), size_(size) {}
  uint64_t size() const override { return size_; }
  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                          char* scratch) const override;

 private:
  static constexpr uint64_t kMinReadAhead = 256 << 10;
  static constexpr uint64_t kMaxReadAhead = 4 << 20;
  static constexpr size_t kMaxWindows = 2;
  struct Window {
    uint64_t start = 0;
    std::string data;
    uint64_t last_use = 0;
  };

  // Reads exactly [first, first + len) into out, retrying and resuming.
  absl::Status FetchRange(uint64_t first, uint64_t len, char* out) const;

  S3Client* const client_;
  const std::string key_;
  const uint64_t size_;
  mutable absl::Mutex mu_;
  mutable std::vector<Window> windows_ ABSL_GUARDED_BY(mu_);
  mutable uint64_t next_expected_ ABSL_GUARDED_BY(mu_) = UINT64_MAX;
  mutable uint64_t read_ahead_ ABSL_GUARDED_BY(mu_) = 0;
  mutable uint64_t clock_ ABSL_GUARDED_BY(mu_) = 0;
};

class S3Writer : public ObjectWriter {
 public:
  S3Writer(S3Storage* s3, std::string key);
  ~S3Writer() override;
  absl::Status Append(std::string_view data) override;
  absl::Status Close() override;

 private:
  absl::Status UploadPart(std::string_view data);

  S3Storage* const s3_;  // Create-only: claims and checks.
  S3Client* const client_;
  const std::string key_;
  std::string buffer_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  uint64_t total_ = 0;
  bool closed_ = false;
  absl::Status failed_;  // Sticky: a failed part dooms the object.
};

// Where multipart claims live (see S3Storage::Claim): one tree per bucket,
// beside the repositories, so that listing a repository never pages through
// them; a repository at the bucket's root skips them in List.
constexpr char kClaimPrefix[] = ".wayback-claims/";
// Date and Last-Modified headers (RFC 7231 IMF-fixdate).
constexpr char kHttpDate[] = "%a, %d %b %Y %H:%M:%S GMT";

class S3Storage : public Storage {
 public:
  explicit S3Storage(S3Options o) : client_(std::move(o)) {}

  const S3Options& options() const { return client_.options(); }

  std::string uri() const override { return options().uri; }
  StorageCapabilities capabilities() const override { return {}; }

  S3Client& client() { return client_; }

  std::string KeyOf(std::string_view name) const {
    return absl::StrCat(options().prefix, AV(name));
  }

  // HEAD: the object's size, or kNotFound.
  absl::StatusOr<HttpResponse> Head(const std::string& key) {
    WAYBACK_ASSIGN_OR_RETURN(
        HttpResponse r,
        client_.Execute("HEAD", Call{.method = "HEAD", .key = key}));
    if (r.status == 200) return r;
    if (r.status == 404) {
      return absl::NotFoundError(
          absl::StrCat(client_.Describe(key), ": no such object"));
    }
    if ((r.status == 401 || r.status == 403) && r.body.empty()) {
      // A HEAD response has no body, so no error code: ask for one byte
      // with GET, whose refusal says why (SignatureDoesNotMatch,
      // InvalidAccessKeyId, AccessDenied).
      Call get{.method = "GET", .key = key};
      get.headers = {{"range", "bytes=0-0"}};
      HttpResponse why = client_.SendOnce(get);
      if (why.transport.ok() && why.status == r.status) {
        return client_.HttpError("HEAD (code from GET)", key, why);
      }
    }
    return client_.HttpError("HEAD", key, r);
  }

  absl::StatusOr<uint64_t> SizeOf(const std::string& key) {
    WAYBACK_ASSIGN_OR_RETURN(HttpResponse r, Head(key));
    uint64_t size;
    if (!absl::SimpleAtoi(r.Header("content-length"), &size)) {
      return absl::InternalError(
          absl::StrCat(client_.Describe(key), ": HEAD gave no Content-Length"));
    }
    return size;
  }

  absl::Status CheckAbsent(const std::string& key) {
    absl::StatusOr<HttpResponse> r = Head(key);
    if (r.ok()) {
      return absl::AlreadyExistsError(
          absl::StrCat(client_.Describe(key), ": object already exists"));
    }
    if (absl::IsNotFound(r.status())) return absl::OkStatus();
    return r.status();
  }

  // PUT `body` as `key` only if no object has that name: kAlreadyExists
  // otherwise. The HEAD first gives a clear error without uploading;
  // "If-None-Match: *" closes the race on servers that honour it (AWS S3 and
  // Ceph RGW do, for a single-part PUT).
  absl::Status PutIfAbsent(const std::string& key, std::string_view body,
                           std::string_view what) {
    WAYBACK_RETURN_IF_ERROR(CheckAbsent(key));
    Call c{.method = "PUT", .key = key, .body = body};
    c.headers = {{"content-md5", Md5Base64(body)}, {"if-none-match", "*"}};
    int unknown_outcomes = 0;
    WAYBACK_ASSIGN_OR_RETURN(HttpResponse r,
                             client_.Execute(what, c, &unknown_outcomes));
    if (r.status == 200) return absl::OkStatus();
    if (r.status == 412 && unknown_outcomes > 0) {
      // An earlier attempt may have landed before its response was lost:
      // then the object holds exactly our bytes (its ETag is their MD5).
      absl::StatusOr<HttpResponse> head = Head(key);
      if (head.ok() &&
          head->Header("etag") == absl::StrCat("\"", Md5Hex(body), "\"")) {
        return absl::OkStatus();
      }
    }
    return client_.HttpError(what, key, r);
  }

  // Create-only for multipart objects. A multipart upload is published by
  // CompleteMultipartUpload, which replaces whatever has the name: AWS S3
  // honours "If-None-Match: *" there, but Ceph RGW 16 ignores it (and on
  // CopyObject too), so the header alone would let two writers both
  // "create" one large object, the later silently replacing the earlier.
  // What RGW does make atomic is a single-part PUT with "If-None-Match: *"
  // (an exclusive create of the object's head in RADOS) and one with
  // "If-Match" (a compare of the stored ETag inside the same RADOS write).
  // So a multipart writer, with every part uploaded, first claims the name
  // with a small create-only PUT of the claim object ClaimKeyOf(key), and
  // completes only if it won; the loser gets kAlreadyExists and its upload
  // is aborted. A claim stays as long as its object (Delete removes both).
  // A claim without an object (its writer died between claim and completion)
  // blocks the name until it is older than claim_lease_s by the server's
  // clock; then one writer takes it over with a PUT conditional on the stale
  // claim's ETag, which again exactly one writer wins. The lease must exceed
  // the longest completion (one request with its retries), so that a slow
  // but live writer is never overtaken.
  std::string ClaimKeyOf(std::string_view key) const {
    return absl::StrCat(kClaimPrefix, AV(key));
  }

  absl::Status Claim(const std::string& key, std::string_view upload_id) {
    const std::string claim_key = ClaimKeyOf(key);
    // The upload id makes the body, and so its MD5, this writer's own.
    const std::string body = absl::StrCat("wayback multipart claim\nkey ", key,
                                          "\nupload ", AV(upload_id), "\n");
    absl::Status put = PutIfAbsent(claim_key, body, "PUT claim");
    if (!absl::IsAlreadyExists(put)) return put;
    const std::string taken = absl::StrCat(
        client_.Describe(key), ": object already exists or is being created (",
        client_.Describe(claim_key), " is held by another writer)");
    absl::StatusOr<HttpResponse> head = Head(claim_key);
    if (absl::IsNotFound(head.status())) return absl::AlreadyExistsError(taken);
    if (!head.ok()) return head.status();
    absl::Time modified, now;
    std::string err;
    if (!absl::ParseTime(kHttpDate, head->Header("last-modified"), &modified,
                         &err) ||
        !absl::ParseTime(kHttpDate, head->Header("date"), &now, &err) ||
        now - modified < absl::Seconds(options().claim_lease_s)) {
      return absl::AlreadyExistsError(taken);
    }
    WAYBACK_RETURN_IF_ERROR(CheckAbsent(key));
    // Stale: take it over. RGW compares If-Match byte for byte with the ETag
    // it stored, which has no quotes (a quoted one always gets 412), so the
    // ETag goes unquoted.
    std::string etag = head->Header("etag");
    absl::StripAsciiWhitespace(&etag);
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
      etag = etag.substr(1, etag.size() - 2);
    }
    Call c{.method = "PUT", .key = claim_key, .body = body};
    c.headers = {{"content-md5", Md5Base64(body)}, {"if-match", etag}};
    WAYBACK_ASSIGN_OR_RETURN(HttpResponse r,
                             client_.Execute("take over claim", c));
    if (r.status == 200) return absl::OkStatus();
    if (r.status == 412) return absl::AlreadyExistsError(taken);
    return client_.HttpError("take over claim", claim_key, r);
  }

  // Best effort: a claim left behind only delays a later writer of the name
  // by the lease.
  void ReleaseClaim(const std::string& key) {
    (void)client_.Execute("DELETE claim",
                          Call{.method = "DELETE", .key = ClaimKeyOf(key)});
  }

  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string key = KeyOf(name);
    WAYBACK_ASSIGN_OR_RETURN(uint64_t size, SizeOf(key));
    return std::make_unique<S3Readable>(&client_, std::move(key), size);
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    const std::string key = KeyOf(name);
    WAYBACK_ASSIGN_OR_RETURN(HttpResponse r, Head(key));
    ObjectInfo info{std::string(name), 0, std::nullopt};
    if (!absl::SimpleAtoi(r.Header("content-length"), &info.size)) {
      return absl::InternalError(
          absl::StrCat(client_.Describe(key), ": HEAD gave no Content-Length"));
    }
    // RFC 7231 IMF-fixdate, e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
    absl::Time t;
    std::string err;
    if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT",
                        std::string(r.Header("last-modified")), &t, &err)) {
      info.modified = t;
    }
    return info;
  }

  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    std::vector<ObjectInfo> out;
    const std::string key_prefix = KeyOf(prefix);
    std::string token;
    for (int page = 0;; ++page) {
      Call c{.method = "GET"};
      c.query = {{"list-type", "2"},
                 {"prefix", key_prefix},
                 {"max-keys", absl::StrCat(options().max_keys)}};
      if (!token.empty()) c.query.emplace_back("continuation-token", token);
      WAYBACK_ASSIGN_OR_RETURN(HttpResponse r, client_.Execute("LIST", c));
      if (r.status != 200) return client_.HttpError("LIST", key_prefix, r);
      absl::StatusOr<ListPage> parsed = ParseListObjectsV2(r.body);
      if (!parsed.ok()) {
        return absl::InternalError(absl::StrCat(client_.Describe(key_prefix),
                                                ": LIST page ", page, ": ",
                                                parsed.status().message()));
      }
      for (ObjectInfo& info : parsed->objects) {
        if (!absl::StartsWith(info.name, options().prefix)) continue;
        if (absl::StartsWith(info.name, kClaimPrefix)) continue;
        std::string name = info.name.substr(options().prefix.size());
        // Keys that are not valid object names (console "folder/" markers,
        // "a//b") cannot be opened through this interface: not listed.
        if (!ValidateObjectName(name).ok()) continue;
        out.push_back({std::move(name), info.size});
      }
      if (!parsed->truncated) break;
      if (parsed->next_continuation_token.empty() ||
          parsed->next_continuation_token == token) {
        return absl::InternalError(absl::StrCat(
            client_.Describe(key_prefix),
            ": LIST is truncated but gives no new continuation token"));
      }
      token = parsed->next_continuation_token;
    }
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) {
                return a.name < b.name;
              });
    return out;
  }

  // HeadBucket: whether the bucket exists and these credentials may use it.
  // Asked once on open, so that a mistyped bucket is one clear error instead
  // of a 404 on the first object some later step happens to touch.
  absl::Status CheckBucket() {
    const std::string where = absl::StrCat(
        "bucket \"", options().bucket, "\" at endpoint ", options().endpoint);
    absl::StatusOr<HttpResponse> r =
        client_.Execute("HEAD bucket", Call{.method = "HEAD"});
    if (!r.ok()) {
      return absl::Status(
          r.status().code(),
          absl::StrCat("cannot reach ", where, ": ", r.status().message()));
    }
    switch (r->status) {
      case 200:
        return absl::OkStatus();
      case 404:
        return absl::NotFoundError(absl::StrCat(
            "no such ", where, " (region ", options().region,
            "); check the bucket name and the endpoint, or create the "
            "bucket first"));
      case 301:
      case 400: {
        std::string actual = r->Header("x-amz-bucket-region");
        return absl::FailedPreconditionError(
            absl::StrCat(where, ": HTTP ", r->status,
                         "; the bucket is not in region ", options().region,
                         actual.empty() ? "" : absl::StrCat(" but in ", actual),
                         " (set region= in the URI or --s3-region)"));
      }
      case 401:
      case 403:
        return absl::PermissionDeniedError(absl::StrCat(
            where, ": HTTP ", r->status,
            " access denied; check the credentials ($AWS_ACCESS_KEY_ID, "
            "$AWS_SECRET_ACCESS_KEY or --aws-access-key-id, "
            "--aws-secret-access-key)"));
      default:
        return absl::InternalError(
            absl::StrCat(where, ": HEAD bucket: HTTP ", r->status));
    }
  }

  absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string key = KeyOf(name);
    WAYBACK_RETURN_IF_ERROR(CheckAbsent(key));
    return std::make_unique<S3Writer>(this, std::move(key));
  }

  // In a versioned bucket (Object Lock implies versioning) a plain DELETE
  // succeeds even on an object under retention: it only hides the object
  // behind a delete marker, and the locked version stays. For a repository
  // that is the worst of both: the object is gone from every listing, yet
  // its bytes are kept. So Delete asks first (HEAD) and refuses an object
  // under retention or legal hold with kFailedPrecondition, deleting
  // nothing. Otherwise the DELETE is plain: in a versioned bucket the object
  // becomes a noncurrent version, which the bucket's lifecycle rules govern.
  absl::Status Delete(std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    std::string key = KeyOf(name);
    absl::StatusOr<HttpResponse> head = Head(key);
    if (!head.ok() && !absl::IsNotFound(head.status())) return head.status();
    if (head.ok()) WAYBACK_RETURN_IF_ERROR(CheckNotLocked(key, *head));
    WAYBACK_ASSIGN_OR_RETURN(
        HttpResponse r,
        client_.Execute("DELETE", Call{.method = "DELETE", .key = key}));
    if (r.status != 200 && r.status != 204 && r.status != 404) {
      return client_.HttpError("DELETE", key, r);
    }
    // A multipart object (its ETag ends in "-<parts>") has a claim.
    if (!head.ok() || absl::StrContains(head->Header("etag"), "-")) {
      ReleaseClaim(key);
    }
    return absl::OkStatus();
  }

  // Delete(), then every remaining version of the key (a versioned bucket
  // keeps the deleted object as a noncurrent version, and the delete marker
  // Delete() added is a version too), each by DELETE ?versionId=. A version
  // the server refuses to delete (403: Object Lock retention or legal hold)
  // is kFailedPrecondition; the versions before it are gone.
  absl::Status Purge(std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(Delete(name));
    const std::string key = KeyOf(name);
    std::string key_marker, version_marker;
    for (int page = 0;; ++page) {
      Call c{.method = "GET"};
      c.query = {{"versions", ""}, {"prefix", key}};
      if (!key_marker.empty()) {
        c.query.emplace_back("key-marker", key_marker);
        c.query.emplace_back("version-id-marker", version_marker);
      }
      WAYBACK_ASSIGN_OR_RETURN(HttpResponse r,
                               client_.Execute("LIST VERSIONS", c));
      if (r.status != 200) return client_.HttpError("LIST VERSIONS", key, r);
      absl::StatusOr<VersionPage> parsed = ParseListObjectVersions(r.body);
      if (!parsed.ok()) {
        return absl::InternalError(
            absl::StrCat(client_.Describe(key), ": LIST VERSIONS page ", page,
                         ": ", parsed.status().message()));
      }
      for (const auto& [version_key, id] : parsed->versions) {
        if (version_key != key) continue;  // Another key with this prefix.
        Call d{.method = "DELETE", .key = key};
        d.query = {{"versionId", id}};
        WAYBACK_ASSIGN_OR_RETURN(HttpResponse dr,
                                 client_.Execute("DELETE VERSION", d));
        if (dr.status == 403) {
          return absl::FailedPreconditionError(absl::StrCat(
              client_.Describe(key), ": version ", id,
              " may not be deleted (Object Lock retention or legal hold); "
              "not deleted"));
        }
        if (dr.status != 200 && dr.status != 204 && dr.status != 404) {
          return client_.HttpError("DELETE VERSION", key, dr);
        }
      }
      if (!parsed->truncated) return absl::OkStatus();
      if (parsed->next_key_marker.empty() ||
          (parsed->next_key_marker == key_marker &&
           parsed->next_version_id_marker == version_marker)) {
        return absl::InternalError(absl::StrCat(
            client_.Describe(key),
            ": LIST VERSIONS is truncated but gives no new marker"));
      }
      key_marker = parsed->next_key_marker;
      version_marker = parsed->next_version_id_marker;
    }
  }

  // kFailedPrecondition if `head` (a HEAD response of `key`) shows an Object
  // Lock retention that has not expired by the server's clock, or a legal
  // hold.
  absl::Status CheckNotLocked(const std::string& key,
                              const HttpResponse& head) const {
    if (absl::EqualsIgnoreCase(head.Header("x-amz-object-lock-legal-hold"),
                               "ON")) {
      return absl::FailedPreconditionError(
          absl::StrCat(client_.Describe(key),
                       ": under an Object Lock legal hold; not deleted"));
    }
    const std::string until =
        head.Header("x-amz-object-lock-retain-until-date");
    if (until.empty()) return absl::OkStatus();
    absl::Time until_time, now = absl::Now();
    std::string err;
    (void)absl::ParseTime(kHttpDate, head.Header("date"), &now, &err);
    // A date we cannot read counts as in force: refusing is recoverable,
    // deleting is not.
    if (absl::ParseTime(absl::RFC3339_full, until, &until_time, &err) &&
        until_time <= now) {
      return absl::OkStatus();
    }
    std::string mode = head.Header("x-amz-object-lock-mode");
    return absl::FailedPreconditionError(absl::StrCat(
        client_.Describe(key), ": under Object Lock ", mode.empty() ? "" : mode,
        mode.empty() ? "" : " ", "retention until ", until, "; not deleted"));
  }

 private:
  S3Client client_;
};

absl::StatusOr<std::string_view> S3Readable::ReadAt(uint64_t offset, size_t n,
                                                    char* scratch) const {
  if (offset >= size_ || n == 0) return std::string_view(scratch, 0);
  const uint64_t want = std::min<uint64_t>(n, size_ - offset);
  uint64_t fetch_len = want;
  {
    absl::MutexLock lock(&mu_);
    for (Window& w : windows_) {
      if (offset >= w.start && offset + want <= w.start + w.data.size()) {
        std::copy_n(w.data.data() + (offset - w.start), want, scratch);
        w.last_use = ++clock_;
        next_expected_ = offset + want;
        return std::string_view(scratch, want);
      }
    }
    // Forward and near the previous read (parallel readers arrive a little
    // out of order): grow the read-ahead; otherwise start over.
    const bool forward = next_expected_ != UINT64_MAX &&
                         offset + kMaxReadAhead >= next_expected_ &&
                         offset <= next_expected_ + kMaxReadAhead;
    read_ahead_ =
        forward ? std::clamp(read_ahead_ * 2, kMinReadAhead, kMaxReadAhead) : 0;
    next_expected_ = offset + want;
    if (want < read_ahead_) {
      fetch_len = std::min<uint64_t>(read_ahead_, size_ - offset);
    }
  }
  if (fetch_len == want) {
    WAYBACK_RETURN_IF_ERROR(FetchRange(offset, want, scratch));
    return std::string_view(scratch, want);
  }
  Window w;
  w.start = offset;
  w.data.resize(fetch_len);
  WAYBACK_RETURN_IF_ERROR(FetchRange(offset, fetch_len, w.data.data()));
  std::copy_n(w.data.data(), want, scratch);
  absl::MutexLock lock(&mu_);
  w.last_use = ++clock_;
  if (windows_.size() < kMaxWindows) {
    windows_.push_back(std::move(w));
  } else {
    *std::min_element(windows_.begin(), windows_.end(),
                      [](const Window& a, const Window& b) {
                        return a.last_use < b.last_use;
                      }) = std::move(w);
  }
  return std::string_view(scratch, want);
}

absl::Status S3Readable::FetchRange(uint64_t offset, uint64_t want,
                                    char* scratch) const {
  uint64_t done = 0;
  int failures = 0;
  std::string last;
  while (done < want) {
    const uint64_t first = offset + done;
    const uint64_t last_byte = offset + want - 1;
    Call c{.method = "GET", .key = key_};
    c.headers = {{"range", absl::StrCat("bytes=", first, "-", last_byte)}};
    HttpResponse r = client_->SendOnce(c);
    uint64_t progress = 0;
    if (r.status == 200 || r.status == 206) {
      // Where the body starts in the object: 0 for a whole-object 200 (a
      // server that ignores Range), else the start of Content-Range.
      uint64_t body_start = 0;
      if (r.status == 206) {
        std::string range = r.Header("content-range");
        absl::string_view rest = range;
        if (!absl::ConsumePrefix(&rest, "bytes ") ||
            !absl::SimpleAtoi(rest.substr(0, rest.find('-')), &body_start)) {
          return absl::InternalError(absl::StrCat(client_->Describe(key_),
                                                  ": GET: bad Content-Range \"",
                                                  range, "\""));
        }
      }
      // The object's total size, from Content-Range ("bytes a-b/total") or a
      // whole-object 200 with a complete body, must still be what it was at
      // open: otherwise the object was replaced and these bytes belong to
      // another version.
      uint64_t total = size_;
      if (r.status == 206) {
        std::string range = r.Header("content-range");
        size_t slash = range.rfind('/');
        if (slash != std::string::npos && range.substr(slash + 1) != "*" &&
            !absl::SimpleAtoi(range.substr(slash + 1), &total)) {
          total = size_ + 1;  // Unparseable: treat as changed.
        }
      } else if (r.transport.ok()) {
        total = r.body.size();
      }
      if (total != size_) {
        return absl::FailedPreconditionError(
            absl::StrCat(client_->Describe(key_),
                         ": object changed since it was opened (size ", total,
                         ", was ", size_, ")"));
      }
      if (body_start > first) {
        return absl::InternalError(absl::StrCat(
            client_->Describe(key_), ": GET: server sent bytes from ",
            body_start, ", asked from ", first));
      }
      const uint64_t skip = first - body_start;
      if (r.body.size() > skip) {
        progress = std::min<uint64_t>(r.body.size() - skip, want - done);
        std::copy_n(r.body.data() + skip, progress, scratch + done);
        done += progress;
      }
      if (done == want) break;
      last = r.transport.ok()
                 ? absl::StrCat("short body (", r.body.size(), " bytes)")
                 : std::string(r.transport.message());
    } else if (!r.transport.ok()) {
      if (!absl::IsUnavailable(r.transport)) {
        return absl::Status(r.transport.code(),
                            absl::StrCat(client_->Describe(key_),
                                         ": GET: ", r.transport.message()));
      }
      last = std::string(r.transport.message());
    } else {
      std::string code = XmlElementText(r.body, "Code");
      if (!RetryableStatus(r.status, code)) {
        return client_->HttpError(
            absl::StrCat("GET range ", first, "-", last_byte), key_, r);
      }
      last = absl::StrCat("HTTP ", r.status, " ", code);
    }
    // Progress resets the budget: a server that keeps cutting bodies short
    // still gets us every byte, resumed with Range each time.
    failures = progress > 0 ? 0 : failures + 1;
    if (failures >= client_->options().max_attempts) {
      return absl::UnavailableError(absl::StrCat(
          client_->Describe(key_), ": GET at offset ", first, " failed after ",
          failures, " attempts; last error: ", last));
    }
    if (progress == 0) client_->Backoff(failures - 1);
  }
  return absl::OkStatus();
}

S3Writer::S3Writer(S3Storage* s3, std::string key)
    : s3_(s3), client_(&s3->client()), key_(std::move(key)) {}

S3Writer::~S3Writer() {
  if (!upload_id_.empty() && !closed_) {
    // Abandoned: abort the multipart upload so no parts linger (best effort).
    Call c{.method = "DELETE", .key = key_};
    c.query = {{"uploadId", upload_id_}};
    (void)client_->Execute("abort multipart upload", c);
  }
}

absl::Status S3Writer::Append(std::string_view data) {
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(client_->Describe(key_), ": writer already closed"));
  }
  WAYBACK_RETURN_IF_ERROR(failed_);
  buffer_.append(data);
  total_ += data.size();
  const uint64_t part = client_->options().part_size;
  // Upload only when more than a part is buffered, so that an object of at
  // most one part always goes up in a single PUT at Close().
  if (buffer_.size() > part) {
    size_t pos = 0;
    while (buffer_.size() - pos > part) {
      absl::Status s = UploadPart(std::string_view(buffer_).substr(pos, part));
      if (!s.ok()) {
        failed_ = s;
        return s;
      }
      pos += part;
    }
    buffer_.erase(0, pos);
  }
  return absl::OkStatus();
}

absl::Status S3Writer::UploadPart(std::string_view data) {
  if (upload_id_.empty()) {
    Call c{.method = "POST", .key = key_};
    c.query = {{"uploads", ""}};
    WAYBACK_ASSIGN_OR_RETURN(HttpResponse r,
                             client_->Execute("create multipart upload", c));
    if (r.status != 200) {
      return client_->HttpError("create multipart upload", key_, r);
    }
    upload_id_ = XmlElementText(r.body, "UploadId");
    if (upload_id_.empty()) {
      return absl::InternalError(
          absl::StrCat(client_->Describe(key_),
                       ": create multipart upload gave no UploadId"));
    }
  }
  const int number = static_cast<int>(etags_.size()) + 1;
  Call c{.method = "PUT", .key = key_, .body = data};
  c.query = {{"partNumber", absl::StrCat(number)}, {"uploadId", upload_id_}};
  c.headers = {{"content-md5", Md5Base64(data)}};
  const std::string what = absl::StrCat("upload part ", number);
  WAYBACK_ASSIGN_OR_RETURN(HttpResponse r, client_->Execute(what, c));
  if (r.status != 200) return client_->HttpError(what, key_, r);
  std::string etag = r.Header("etag");
  if (etag.empty()) {
    return absl::InternalError(
        absl::StrCat(client_->Describe(key_), ": ", what, " gave no ETag"));
  }
  etags_.push_back(std::move(etag));
  return absl::OkStatus();
}

absl::Status S3Writer::Close() {
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(client_->Describe(key_), ": writer already closed"));
  }
  WAYBACK_RETURN_IF_ERROR(failed_);
  if (upload_id_.empty()) {
    closed_ = true;
    return s3_->PutIfAbsent(key_, buffer_, "PUT");
  }
  // Multipart: the rest as the last part, then complete unless the name was
  // taken meanwhile.
  if (!buffer_.empty()) {
    absl::Status s = UploadPart(buffer_);
    if (!s.ok()) {
      failed_ = s;
      return s;
    }
  }
  absl::Status absent = s3_->CheckAbsent(key_);
  if (!absent.ok()) return absent;  // The destructor aborts the upload.
  // Only the writer that wins the claim completes (see S3Storage::Claim).
  absl::Status claimed = s3_->Claim(key_, upload_id_);
  if (!claimed.ok()) return claimed;
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags_.size(); ++i) {
    absl::StrAppend(&xml, "<Part><PartNumber>", i + 1, "</PartNumber><ETag>",
                    etags_[i], "</ETag></Part>");
  }
  xml += "</CompleteMultipartUpload>";
  Call c{.method = "POST", .key = key_, .body = xml};
  c.query = {{"uploadId", upload_id_}};
  c.headers = {{"if-none-match", "*"}};
  // Unknown outcome (kUnavailable after the retries): the claim stays, as
  // the object may exist.
  WAYBACK_ASSIGN_OR_RETURN(HttpResponse r,
                           client_->Execute("complete multipart upload", c));
  // S3 may report a failure inside a 200 response.
  if (r.status != 200 || absl::StrContains(r.body, "<Error>")) {
    s3_->ReleaseClaim(key_);
    return client_->HttpError("complete multipart upload", key_, r);
  }
  closed_ = true;
  // Verify what landed has the size we sent.
  WAYBACK_ASSIGN_OR_RETURN(uint64_t size, s3_->SizeOf(key_));
  if (size != total_) {
    return absl::DataLossError(
        absl::StrCat(client_->Describe(key_),
                     ": after multipart upload the object "
                     "has ",
                     size, " bytes, sent ", total_));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Storage>> OpenS3Storage(S3Options options) {
  if (options.uri.empty()) {
    options.uri = absl::StrCat("s3://", options.bucket, "/", options.prefix);
  }
  if (options.max_attempts < 1) options.max_attempts = 1;
  return std::make_unique<S3Storage>(std::move(options));
}

absl::StatusOr<std::unique_ptr<Storage>> OpenS3Uri(std::string_view uri,
                                                   bool create) {
  return OpenS3Uri(uri, create, S3Settings{});
}

absl::StatusOr<std::unique_ptr<Storage>> OpenS3Uri(std::string_view uri,
                                                   bool /*create*/,
                                                   const S3Settings& settings) {
  WAYBACK_ASSIGN_OR_RETURN(S3Options options, ParseS3Uri(uri, settings));
  if (options.max_attempts < 1) options.max_attempts = 1;
  auto storage = std::make_unique<S3Storage>(std::move(options));
  WAYBACK_RETURN_IF_ERROR(storage->CheckBucket());
  return storage;
}

}  // namespace wayback::s3