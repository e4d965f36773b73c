// Is stderr connected to the systemd journal? systemd.exec(5): a service whose stderr goes to
// the journal gets JOURNAL_STREAM=DEVICE:INODE of that stream; comparing it with fstat(2) of
// fd 2 tells a child that inherited the variable but was redirected elsewhere apart.
#pragma once

namespace shunt::tools {

bool stderr_is_journal();

// Turns on shunt::log's "<N>" priority prefixes (sd-daemon(3)) when stderr_is_journal().
void log_to_journal_if_there();

}  // namespace shunt::tools
