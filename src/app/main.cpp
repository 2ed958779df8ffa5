// camrelay: wiring, signals, systemd notify, ordered shutdown.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/stat.h>

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stop_token>
#include <filesystem>
#include <iostream>
#include <thread>

#ifdef CAMRELAY_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "admin_cli.hpp"
#include "memory.hpp"
#include "camrelay/auth/service.hpp"
#include "camrelay/camera/mqtt_client.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/config/secrets.hpp"
#include "camrelay/gst/main_loop.hpp"
#include "camrelay/http/server.hpp"
#include "camrelay/onvif/discovery.hpp"
#include "camrelay/rtsp/server.hpp"
#include "camrelay/http/tls.hpp"
#include "camrelay/media/webrtc_viewer.hpp"
#include "camrelay/metrics/metrics.hpp"
#include "camrelay/service/camera_catalog.hpp"
#include "camrelay/service/stream_manager.hpp"
#include "camrelay/store/secret_box.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/ids.hpp"
#include "camrelay/util/log.hpp"
#include "camrelay/util/text.hpp"
#include "camrelay_version.hpp"
#include "watchdog.hpp"
#include "wiring.hpp"

namespace {
void notify(const char* state) {
#ifdef CAMRELAY_HAVE_SYSTEMD
  sd_notify(0, state);
#else
  (void)state;
#endif
}
}  // namespace

int main(int argc, char** argv) {
  using namespace camrelay;
  app::limit_malloc_arenas();  // before any thread exists
  if (auto status = app::run_admin_command(argc, argv)) return *status;
  config::Config cfg;
  try {
    config::CliAction action;
    cfg = config::load(argc, argv, config::process_env(), action);
    if (action.show_help) {
      std::cout << config::usage();
      return 0;
    }
    if (action.show_version) {
      std::cout << "camrelay " << CAMRELAY_VERSION << "\n";
      return 0;
    }
  } catch (const config::ConfigError& e) {
    std::cerr << "camrelay: configuration error: " << e.what() << "\n";
    return 2;
  }

  // Passwords in a file every user of the machine can read are not secrets: refuse (exit 2).
  if (!cfg.config_path.empty()) {
    struct stat st {};
    const auto secrets = config::secret_keys(cfg);
    if (!secrets.empty() && ::stat(cfg.config_path.c_str(), &st) == 0 && (st.st_mode & S_IROTH)) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
      std::cerr << "camrelay: " << cfg.config_path << " holds secrets (" << secrets.front()
                << (secrets.size() > 1 ? ", …" : "") << ") and every user can read it (mode " << mode
                << "): run chmod 640 " << cfg.config_path << " (group camrelay) or chmod 600\n";
      return 2;
    }
  }

  spdlog::level::level_enum level = spdlog::level::info;
  log::parse_level(cfg.log_level, level);
  log::init(level);
  auto lg = log::get("app");
  lg->info("camrelay {} starting (config: {})", CAMRELAY_VERSION,
           cfg.config_path.empty() ? "built-in defaults" : cfg.config_path);

  try {
    std::unique_ptr<store::Store> store;
    try {
      std::filesystem::create_directories(cfg.data_dir);
      store = store::Store::open((std::filesystem::path(cfg.data_dir) / "camrelay.db").string());
      if (int n = store->recover_stale_sessions(unix_now_s())) {
        lg->warn("closed {} stream session(s) left open by a previous run (daemon restarted)", n);
      }
    } catch (const Error& e) {
      // A damaged or locked database needs a person, not a restart loop: exit status 2
      // (the systemd unit's RestartPreventExitStatus).
      if (e.code() != Errc::invalid_argument && e.code() != Errc::conflict) throw;
      lg->critical("{}", e.what());
      spdlog::shutdown();
      return 2;
    }

    // Accounts: a key file others can read, or a broken account table, stop the start
    // (exit status 2: a person must look).
    std::shared_ptr<auth::Service> accounts;
    try {
      accounts = std::make_shared<auth::Service>(*store, cfg.auth, cfg.data_dir);
    } catch (const Error& e) {
      lg->critical("{}", e.what());
      spdlog::shutdown();
      return 2;
    }
    if (cfg.auth.disabled) {
      if (is_loopback(cfg.http.host)) {
        lg->info("auth is disabled (auth.disabled): every request acts as admin; only this machine can connect ({})",
                 cfg.http.host);
      } else {
        lg->warn("auth is disabled (auth.disabled) and camrelay listens on {}: anyone who reaches port {} can watch "
                 "and control every camera. Remove auth.disabled to require accounts (docs/security.md)",
                 cfg.http.host, cfg.http.port);
      }
    } else {
      const auto env = config::process_env();
      auto preset = env.find("CAMRELAY_ADMIN_PASSWORD");
      auto pw = accounts->bootstrap_admin(preset == env.end() ? std::string() : preset->second);
      if (pw && preset != env.end()) {
        lg->warn("created the first account \"admin\" with the password from CAMRELAY_ADMIN_PASSWORD");
      } else if (pw) {
        lg->warn("created the first account: user \"admin\", password \"{}\" (shown this once; log in at /login, "
                 "change it there or with `camrelay user passwd admin`)", *pw);
      }
      if (cfg.auth.allow_localhost) {
        lg->warn("auth.allow_localhost: requests from this machine act as admin without credentials "
                 "(a reverse proxy on this host would open everything)");
      }
    }

    // The cameras: the configuration file's, then those added through the API (stored in the
    // database, their credentials sealed with <data_dir>/secret.key). A key file others can
    // read stops the start (exit status 2).
    std::shared_ptr<service::CameraCatalog> catalog;
    try {
      catalog = std::make_shared<service::CameraCatalog>(
          cfg, *store, store::SecretBox::from_key_file((std::filesystem::path(cfg.data_dir) / "secret.key").string()));
    } catch (const Error& e) {
      if (e.code() != Errc::invalid_argument) throw;
      lg->critical("{}", e.what());
      spdlog::shutdown();
      return 2;
    }
    const std::string gst_status = app::init_gstreamer(catalog->cameras());

    // HTTPS/WSS: a certificate or key that cannot be used stops the start (exit status 2).
    std::shared_ptr<http::TlsContext> tls;
    if (http::tls_wanted(cfg.http)) {
      try {
        tls = std::make_shared<http::TlsContext>(cfg.http.tls.cert, cfg.http.tls.key);
      } catch (const Error& e) {
        lg->critical("{}", e.what());
        spdlog::shutdown();
        return 2;
      }
    }

    boost::asio::io_context io;
    auto loop = std::make_unique<gst::MainLoop>();
    auto warmed = media::warm_up_webrtc(*loop);  // DTLS certificate before the first viewer
    auto loops = std::make_unique<gst::LoopPool>();  // the cameras' GLib threads: outlive the manager
    auto manager = std::make_shared<service::StreamManager>(io, cfg, *store, service::gstreamer_media(*loops), gst_status,
                                                            catalog->cameras());
    catalog->attach(manager);
    auto instruments = std::make_shared<metrics::Metrics>();  // GET /metrics
    manager->set_metrics(instruments);
    // Recordings: rows a crash left open are closed with their files' real length before any
    // camera records again; then the retention and free-space checks run in the background.
    auto recordings = std::make_shared<service::Recordings>(io, cfg, *store);
    if (int n = recordings->recover()) lg->warn("closed {} recording(s) left open by a previous run", n);
    manager->set_recordings(recordings);
    recordings->set_cameras([w = std::weak_ptr<service::CameraCatalog>(catalog)] {
      auto c = w.lock();
      return c ? c->cameras() : std::vector<config::Camera>{};
    });
    recordings->start([w = std::weak_ptr<service::StreamManager>(manager)] {
      if (auto m = w.lock()) m->recording_space_changed();
    });
    // A camera deleted through the API with ?recordings=delete: its files go too.
    catalog->set_on_camera_deleted([w = std::weak_ptr<service::Recordings>(recordings), lg](const std::string& id,
                                                                                          bool delete_recordings) {
      auto recs = w.lock();
      if (!delete_recordings || !recs) return;
      recs->remove_camera(id, [lg, id](std::exception_ptr e, int n) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            lg->error("camera {} deleted: its recordings could not be deleted: {}", id, ex.what());
          }
        }
        (void)n;
      });
    });
    // MQTT (BCGH cameras): connects in the background and keeps reconnecting; the rest of
    // the daemon works while the broker is down.
    std::shared_ptr<camera::MqttClient> mqtt;
    if (!cfg.mqtt.url.empty()) {
      mqtt = std::make_shared<camera::MqttClient>(camera::MqttOptions::from_config(cfg.mqtt));
      manager->set_mqtt(mqtt);
      mqtt->start();
    }
    auto server = std::make_unique<http::Server>(io, cfg, manager, catalog, accounts, tls, instruments);
    app::wire_extensions(*server, manager, cfg);
    server->start();
    // RTSP re-serve (docs/restream.md): its own GLib thread; readers through the manager.
    std::unique_ptr<rtsp::Server> rtsp_server;
    if (cfg.rtsp.enabled) {
      rtsp_server = std::make_unique<rtsp::Server>(cfg, manager, accounts);
      rtsp_server->start();  // a port in use fails the start like the HTTP listener's
    }

    // ONVIF device discovery (docs/onvif.md): answers WS-Discovery probes with the device
    // service's address; the SOAP services themselves are HTTP routes (api_onvif.cpp).
    std::unique_ptr<onvif::Responder> discovery;
    if (cfg.onvif.enabled && cfg.onvif.discovery) {
      discovery = std::make_unique<onvif::Responder>(io, app::discovery_options(cfg));
      discovery->start();  // a port in use fails the start like the HTTP listener's
    }

    app::MallocTrimmer trimmer(io);
    trimmer.start();
    // systemd's watchdog: a ping only after a probe went through the event loop and every
    // camera's strand (the health walk).
    auto watchdog = std::make_shared<app::Watchdog>(
        io,
        [w = std::weak_ptr<service::StreamManager>(manager)](std::function<void()> done) {
          if (auto m = w.lock()) m->health([done](std::exception_ptr, service::HealthInfo) { done(); });
        },
        [](const char* state) { notify(state); });
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    boost::asio::signal_set hup(io, SIGHUP);
    bool stopping = false;
    std::function<void()> wait_signal;
    wait_signal = [&] {
      signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (stopping) {
          lg->warn("second signal: exiting immediately");
          std::_Exit(1);
        }
        stopping = true;
        lg->info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        notify("STOPPING=1");
        server->stop();
        if (rtsp_server) rtsp_server->stop();  // its readers leave before the cameras stop
        if (discovery) discovery->stop();
        hup.cancel();
        trimmer.stop();
        watchdog->stop();
        manager->shutdown(3000, [&] { io.stop(); });
        wait_signal();
      });
    };
    wait_signal();

    // SIGHUP: read the configuration again (same file, environment and options) and apply
    // the camera list; other settings need a restart (said in the log).
    std::function<void()> wait_hup;
    wait_hup = [&] {
      hup.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec || stopping) return;
        lg->info("received SIGHUP: reloading the configuration");
        try {
          config::CliAction ignored;
          config::Config next = config::load(argc, argv, config::process_env(), ignored);
          // The certificate files are read again whatever changed (a renewal keeps the paths).
          try {
            server->reload_tls(next.http.tls);
          } catch (const Error& e) {
            lg->error("reload: keeping the running TLS certificate: {}", e.what());
          }
          config::Config others = next;
          others.cameras = cfg.cameras;
          others.http.tls.cert = cfg.http.tls.cert;
          others.http.tls.key = cfg.http.tls.key;
          if (!(others == cfg)) {
            lg->warn("reload: settings other than the cameras changed; they take effect at the next restart");
          }
          // The file's cameras, with the API cameras after them (the file's win an id both have).
          catalog->set_config_cameras(std::move(next.cameras), [lg](std::exception_ptr, service::ReloadSummary r) {
            auto list = [](const std::vector<std::string>& v) {
              std::string s;
              for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
              return s.empty() ? std::string("none") : s;
            };
            lg->info("reload: cameras added: {}; removed: {}; changed: {}; unchanged: {}", list(r.added),
                     list(r.removed), list(r.changed), r.unchanged);
          });
        } catch (const config::ConfigError& e) {
          lg->error("reload failed, keeping the running configuration: {}", e.what());
        }
        wait_hup();
      });
    };
    wait_hup();

    // Account changes made by `camrelay user …` in another process: picked up every 2 s, on a
    // thread of its own (the check waits for the database worker; never on a network thread).
    std::jthread accounts_watch([&accounts, lg](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lk(m);
      while (!cv.wait_for(lk, stop, std::chrono::seconds(2), [] { return false; })) {
        if (stop.stop_requested()) break;
        try {
          accounts->reload_if_changed();
        } catch (const std::exception& e) {
          lg->warn("cannot reload the accounts: {}", e.what());
        }
      }
    });

    manager->boot();
    notify("READY=1");
    watchdog->start(app::Watchdog::interval_from_env());
    lg->info("ready: {}://{}:{}/ (viewer: /viewer?camera=ID)", cfg.http.tls.enabled ? "https" : "http",
             cfg.http.host, server->port());

    std::vector<std::thread> threads;
    for (int i = 1; i < cfg.http.threads; ++i) threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();

    if (mqtt) mqtt->stop();  // after the stop messages of the BCGH sessions were queued
    accounts_watch.request_stop();
    accounts_watch.join();
    server.reset();
    rtsp_server.reset();
    catalog.reset();
    manager.reset();
    recordings->stop();  // after the cameras closed their files
    accounts.reset();
    // OpenSSL must not be torn down under the warm-up's feet (a crash at exit). It takes
    // ~0.3 s, but seconds on a machine under heavy load; systemd waits 90 s for a stop.
    if (warmed.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      lg->warn("DTLS warm-up still running at shutdown");
    }
    // The cameras' GLib threads, after the manager (whose last reference may have gone on one
    // of them), then the DTLS warm-up's.
    loops.reset();
    loop.reset();
    store->flush();
    store.reset();
    lg->info("stopped");
    spdlog::shutdown();
    return 0;
  } catch (const Error& e) {
    lg->critical("{}", e.what());
    spdlog::shutdown();
    return 1;
  } catch (const std::exception& e) {
    lg->critical("fatal: {}", e.what());
    spdlog::shutdown();
    return 1;
  }
}
