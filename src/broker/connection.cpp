#include "broker/connection.h"

namespace sgeventd::broker {

ConnectOptions connectOptionsOf(const config::BrokerSettings& settings) {
  ConnectOptions options;
  options.urls = settings.urls;
  options.credentials = settings.credentials;
  options.tlsCaFile = settings.tlsCaFile;
  return options;
}

Expected<std::unique_ptr<Connection>> Connection::connect(const ConnectOptions& options) {
  if (options.urls.empty()) {
    return fail("no NATS server URL");
  }
  natsOptions* raw = nullptr;
  if (const natsStatus s = natsOptions_Create(&raw); s != NATS_OK) {
    return unexpected(natsError("cannot create the NATS options", s));
  }
  OptionsPtr opts(raw);
  std::vector<const char*> urls;
  for (const auto& url : options.urls) {
    urls.push_back(url.c_str());
  }
  natsStatus s = natsOptions_SetServers(opts.get(), urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK) {
    s = natsOptions_SetName(opts.get(), options.name.c_str());
  }
  if (s == NATS_OK) {
    s = natsOptions_SetTimeout(opts.get(), options.connectTimeout.count());
  }
  if (s == NATS_OK) {
    s = natsOptions_SetMaxReconnect(opts.get(), -1);  // forever: the publisher waits, it never gives up
  }
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectWait(opts.get(), options.reconnectWait.count());
  }
  if (s == NATS_OK && options.credentials) {
    s = natsOptions_SetUserCredentialsFromFiles(opts.get(), options.credentials->c_str(), nullptr);
  }
  if (s == NATS_OK && options.sendAsap) {
    s = natsOptions_SetSendAsap(opts.get(), true);
  }
  if (s == NATS_OK && options.tlsCaFile) {
    s = natsOptions_SetSecure(opts.get(), true);
    if (s == NATS_OK) {
      s = natsOptions_LoadCATrustedCertificates(opts.get(), options.tlsCaFile->c_str());
    }
  }
  if (s != NATS_OK) {
    return unexpected(natsError("invalid NATS options", s));
  }
  natsConnection* nc = nullptr;
  if (s = natsConnection_Connect(&nc, opts.get()); s != NATS_OK) {
    return unexpected(natsError("cannot connect to " + options.urls.front(), s));
  }
  ConnectionHandle connection(nc);
  jsOptions jsOpts;
  jsOptions_Init(&jsOpts);
  jsOpts.Wait = options.apiTimeout.count();
  jsCtx* js = nullptr;
  if (s = natsConnection_JetStream(&js, connection.get(), &jsOpts); s != NATS_OK) {
    return unexpected(natsError("cannot create the JetStream context", s));
  }
  return std::unique_ptr<Connection>(new Connection(options, std::move(connection), JetStreamHandle(js)));
}

bool Connection::connected() const { return natsConnection_Status(nc_.get()) == NATS_CONN_STATUS_CONNECTED; }

}  // namespace sgeventd::broker
