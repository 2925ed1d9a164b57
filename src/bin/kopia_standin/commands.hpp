// commands: the kopia commands the stand-in implements; each returns the process exit code
// (0, or 1 after printing "ERROR <message>" as kopia does) and throws Error for failures.
#pragma once

#include "cli.hpp"

namespace kopia_standin {

int repository_create(const Args& args);
int repository_connect(const Args& args);
int repository_status(const Args& args);
int repository_disconnect(const Args& args);
int snapshot_create(const Args& args);
int snapshot_list(const Args& args);
int snapshot_delete(const Args& args);
int snapshot_restore(const Args& args);
int maintenance_run(const Args& args);
int maintenance_info(const Args& args);
int maintenance_set(const Args& args);

}  // namespace kopia_standin
