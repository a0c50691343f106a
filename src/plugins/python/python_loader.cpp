#include "plugins/python/python_loader.h"

#include <system_error>

#include "plugins/python/connection.h"
#include "plugins/python/interpreter.h"
#include "plugins/python/log_routing.h"
#include "plugins/python/python_plugin.h"

namespace sgeventd::plugins::python {
namespace {

class PythonLoader final : public PluginLoader {
 public:
  explicit PythonLoader(PythonSettings settings) : settings_(std::move(settings)) {}

  bool handles(const std::filesystem::path& file) const override { return file.extension() == ".py"; }

  Expected<PluginPtr> load(const PluginId& id, const HostContext& context) override {
    constexpr int kLoad = static_cast<int>(LoadErrorKind::Load);
    if (context.logs == nullptr) {
      return fail("the host context has no log factory", kLoad);
    }
    std::error_code error;
    if (!std::filesystem::is_regular_file(id.path, error)) {
      return fail("The path to the plugin is not a valid file - " + id.path.string() + ".", kLoad);
    }
    routePlugin(id.name, context.logs, settings_.setLogLevel);
    py::gil_scoped_acquire gil;
    try {
      ClientFactory factory = context.makeClient;
      py::cpp_function makeConnection(
          [factory](const std::string& name, const std::string& key) -> py::object {
            if (!factory) {
              return py::none();
            }
            auto client = factory(name, key);
            if (client == nullptr) {
              return py::none();
            }
            return py::cast(std::make_unique<Connection>(std::move(client)));
          });
      py::object proxy =
          settings_.httpProxy ? py::object(py::str(*settings_.httpProxy)) : py::object(py::none());
      py::tuple result =
          bootstrap().attr("load_plugin")(id.name, id.path.string(), makeConnection, settings_.server, proxy,
                                          static_cast<int>(settings_.level));
      const int code = result[0].cast<int>();
      if (code != 0) {
        return fail(result[1].cast<std::string>(), code);
      }
      return std::make_shared<PythonPlugin>(id, py::reinterpret_borrow<py::object>(result[1]),
                                            context.useSessionUuid);
    } catch (const py::error_already_set& failure) {
      return fail(failure.what(), kLoad);
    } catch (const std::exception& failure) {
      return fail(failure.what(), kLoad);
    }
  }

 private:
  PythonSettings settings_;
};

}  // namespace

Expected<PluginLoaderPtr> makePythonLoader(PythonSettings settings) {
  SGEVENTD_TRY(ensureInterpreter(settings));
  return std::make_unique<PythonLoader>(std::move(settings));
}

}  // namespace sgeventd::plugins::python
