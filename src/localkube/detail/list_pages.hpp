// Paged lists (`limit` and `continue`), as client-go's pager and `kubectl get --chunk-size` use
// them. The continue token is the API server's own form, base64url of
// {"v":"meta.k8s.io/v1","rv":<list resourceVersion>,"start":"<next key>"}; the next page holds the
// objects after that key as they are now (the server keeps no snapshots, so a page can show a
// change made after the first one; a real server serves every page at the first one's version).
// A token whose resourceVersion has left the watch history (the local analogue of etcd's
// compaction) is too old: 410 Expired, with a fresh token to carry on from, as a real server.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "localkube/detail/api.hpp"

namespace kopiur::localkube::detail {

struct ListPage {
  std::vector<StoredObject> items;        // stored form (shared, with its text), in key order
  std::int64_t resource_version = 0;      // the list's (the first page's for later pages)
  std::string next;                       // the continue token, empty on the last page
  std::optional<std::int64_t> remaining;  // remainingItemCount when no selector filters
  // Set instead of the rest when the token was too old: the token to carry on from.
  std::string expired_next;
};

// The 410 Expired answer for a page with expired_next, worded as a real server's.
http::Response continue_expired_response(const ListPage& page);

// list_page(): the page `req` asks for (all matching objects without `limit`); `matches` filters
// (label and field selectors). 400 on a malformed limit or token, 410 on an expired token.
Result<ListPage> list_page(const LocalStore& store, const Target& t, const ApiRequest& req,
                           const std::function<bool(const json&)>& matches, bool filtered);

// The token's parts (for tests): encode, and decode (nullopt when malformed).
std::string encode_continue(std::int64_t rv, const std::string& start);
std::optional<std::pair<std::int64_t, std::string>> decode_continue(const std::string& token);

}  // namespace kopiur::localkube::detail
