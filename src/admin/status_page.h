#pragma once
// The status page served at GET /: one self-contained HTML document (CSS and JavaScript inline, no
// external assets) that reads /api/v1/status and drives the plugin actions through the admin API.
#include <string_view>

namespace sgeventd::admin {

std::string_view statusPageHtml();

}  // namespace sgeventd::admin
