// Placeholder until this command's room lands; replaced by the real registration.
#include "app/cli.h"

namespace sgeventd::app {

void registerStateCommand(CLI::App&, CommandLine&) {}

}  // namespace sgeventd::app
