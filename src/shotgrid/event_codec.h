#pragma once
// The allocation-lean form of eventFromJson for the fetch path: strings are moved out of `record`.
#include "shotgrid/client.h"

namespace sgeventd::shotgrid {

Expected<core::Event> eventFromRecord(Json&& record);

}  // namespace sgeventd::shotgrid
