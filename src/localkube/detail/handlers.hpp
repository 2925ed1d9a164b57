// The local API server's handlers, one group of verbs per file: get and list (read_handlers.cpp),
// create and update with the request-body rules they share (write_handlers.cpp), patch
// (patch_handler.cpp), delete (delete_handler.cpp), watch (watch_stream.cpp) and pods/log
// (log_stream.cpp). routing.cpp picks one from the method and the URL.
#pragma once

#include "localkube/detail/api.hpp"
#include "localkube/detail/managed_fields.hpp"
#include "localkube/detail/selector.hpp"

namespace kopiur::localkube::detail {

// GET of one object, or of a collection: a list, or a watch with ?watch=true.
http::Response get_or_list(Context& ctx, const Target& t, const ApiRequest& req);
http::Response create(Context& ctx, const Target& t, const ApiRequest& req);
http::Response update(Context& ctx, const Target& t, const ApiRequest& req);
http::Response patch(Context& ctx, const Target& t, const ApiRequest& req);
http::Response remove(Context& ctx, const Target& t, const ApiRequest& req);
// A streamed watch of a collection (chunked JSON lines), served by ctx.streams.
http::Response watch(Context& ctx, const Target& t, const ApiRequest& req, LabelSelector labels,
                     FieldSelector fields);
// pods/log, followed (?follow=true) while the container runs.
http::Response logs(Context& ctx, const Target& t, const ApiRequest& req);

// dryRun=All: the write is checked and answered but not carried out. Any other value is
// refused, so an unknown dry-run mode can never turn into a real write.
Result<bool> dry_run_of(const ApiRequest& req);
// The body of a POST, PUT or server-side apply: an object (JSON or YAML) whose kind and
// apiVersion, when given, are those of the URL's resource.
Result<json> typed_body(const ApiRequest& req, const ResourceType& rt);
// Who a write to `t` records in metadata.managedFields, with the built-in defaults the store
// applies (managed_fields.hpp).
FieldManager field_manager_for(const Target& t, std::string manager);

}  // namespace kopiur::localkube::detail
