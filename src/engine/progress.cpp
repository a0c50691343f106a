#include "engine/progress.h"

namespace sgeventd::engine {

void Progress::markDone(std::int64_t id) {
  if (id > cursor_) {
    cursor_ = id;
  } else {
    backlog_.remove(id);
  }
}

}  // namespace sgeventd::engine
