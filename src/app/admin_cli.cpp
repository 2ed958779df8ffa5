#include "admin_cli.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "camrelay/auth/crypto.hpp"
#include "camrelay/auth/service.hpp"
#include "camrelay/config/config.hpp"
#include "camrelay/store/store.hpp"
#include "camrelay/util/error.hpp"
#include "camrelay/util/log.hpp"

namespace camrelay::app {
namespace {

constexpr const char* kUsage =
    "Account commands (run them as the daemon's user, e.g. sudo -u camrelay camrelay …):\n"
    "  camrelay [--config FILE] [--data-dir DIR] user add NAME [--role admin|viewer] [--cameras ID,ID|*]\n"
    "                                                       [--password-stdin]\n"
    "  camrelay … user passwd NAME [--password-stdin]\n"
    "  camrelay … user del NAME\n"
    "  camrelay … user list\n"
    "  camrelay … token create USER [--label TEXT] [--expires-days N]\n"
    "  camrelay … token revoke TOKEN_ID\n"
    "  camrelay … token list [USER]\n"
    "Without --password-stdin a password is generated and printed. Tokens are printed once.\n";

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string read_password_line() {
  std::string pw;
  if (!std::getline(std::cin, pw)) throw Error(Errc::invalid_argument, "--password-stdin: nothing on standard input");
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  return pw;
}

std::string date_of(std::optional<std::int64_t> t) {
  if (!t) return "-";
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(*t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::optional<int> run_admin_command(int argc, char** argv) {
  // The first word that is not an option (or an option's value) names the command.
  std::vector<const char*> daemon_args{argv[0]};
  int cmd = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "user" || a == "token") {
      cmd = i;
      break;
    }
    daemon_args.push_back(argv[i]);
    if ((a == "--config" || a == "--data-dir" || a == "--log-level") && i + 1 < argc) daemon_args.push_back(argv[++i]);
  }
  if (cmd < 0) return std::nullopt;
  const std::string what = argv[cmd];
  std::vector<std::string> words;
  std::string role, cameras, label;
  int expires_days = 0;
  bool pw_stdin = false;
  try {
    for (int i = cmd + 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&](const char* name) {
        if (i + 1 >= argc) throw Error(Errc::invalid_argument, std::string(name) + " needs a value");
        return std::string(argv[++i]);
      };
      if (a == "--role") role = value("--role");
      else if (a == "--cameras") cameras = value("--cameras");
      else if (a == "--label") label = value("--label");
      else if (a == "--expires-days") expires_days = std::stoi(value("--expires-days"));
      else if (a == "--password-stdin") pw_stdin = true;
      else if (a == "--help" || a == "-h") {
        std::cout << kUsage;
        return 0;
      } else if (a.rfind("--", 0) == 0) throw Error(Errc::invalid_argument, "unknown option " + a);
      else words.push_back(a);
    }
    if (words.empty()) throw Error(Errc::invalid_argument, "missing sub-command");

    config::CliAction action;
    config::Config cfg = config::load(static_cast<int>(daemon_args.size()), daemon_args.data(),
                                      config::process_env(), action);
    log::init(spdlog::level::warn);
    std::filesystem::create_directories(cfg.data_dir);
    auto store = store::Store::open((std::filesystem::path(cfg.data_dir) / "camrelay.db").string());
    auth::Service svc(*store, cfg.auth, cfg.data_dir, false);
    const std::string sub = words[0];
    // The audit log names the command line as the actor, with the Unix user who ran it.
    const char* login = ::getlogin();
    const std::string actor = std::string("command line (uid ") + std::to_string(::getuid()) +
                              (login ? std::string(", ") + login : std::string()) + ")";
    auto audit = [&](const std::string& target, const std::string& detail = {}) {
      svc.record(nullptr, "local", what + " " + sub, target, 0, actor + (detail.empty() ? "" : "; " + detail));
    };
    auto need = [&](std::size_t n) {
      if (words.size() != n) throw Error(Errc::invalid_argument, "wrong number of arguments for " + what + " " + sub);
    };

    if (what == "user" && sub == "add") {
      need(2);
      auto r = auth::parse_role(role.empty() ? "viewer" : role);
      if (!r) throw Error(Errc::invalid_argument, "--role must be admin or viewer");
      std::string pw = pw_stdin ? read_password_line() : auth::generate_password();
      svc.add_user(words[1], pw, *r, cameras.empty() ? std::vector<std::string>{} : split_list(cameras));
      audit(words[1], std::string("role ") + auth::to_string(*r) + (cameras.empty() ? "" : ", cameras " + cameras));
      std::cout << "added user " << words[1] << " (" << auth::to_string(*r) << ")";
      if (!pw_stdin) std::cout << ", password: " << pw;
      std::cout << "\n";
    } else if (what == "user" && sub == "passwd") {
      need(2);
      std::string pw = pw_stdin ? read_password_line() : auth::generate_password();
      svc.update_user(words[1], pw, std::nullopt, std::nullopt);
      audit(words[1]);
      std::cout << "password of " << words[1] << " changed (its login sessions ended)";
      if (!pw_stdin) std::cout << ": " << pw;
      std::cout << "\n";
    } else if (what == "user" && (sub == "del" || sub == "delete")) {
      need(2);
      svc.delete_user(words[1]);
      audit(words[1]);
      std::cout << "deleted user " << words[1] << " (and its tokens and sessions)\n";
    } else if (what == "user" && sub == "list") {
      need(1);
      for (const auto& u : svc.users()) {
        std::string cams;
        for (const auto& c : u.cameras) cams += (cams.empty() ? "" : ",") + c;
        std::cout << u.name << "\t" << auth::to_string(u.role) << "\t"
                  << (u.role == auth::Role::admin ? "*" : cams.empty() ? "-" : cams) << "\n";
      }
    } else if (what == "token" && sub == "create") {
      need(2);
      std::optional<std::int64_t> ttl;
      if (expires_days > 0) ttl = std::int64_t(expires_days) * 86400;
      auto [info, secret] = svc.create_token(words[1], label, ttl);
      audit(words[1], "token " + info.id);
      std::cout << "token " << info.id << " for " << info.user << " (expires " << date_of(info.expires_at)
                << "); shown once:\n" << secret << "\n";
    } else if (what == "token" && sub == "revoke") {
      need(2);
      svc.revoke_token(words[1]);
      audit(words[1]);
      std::cout << "revoked " << words[1] << "\n";
    } else if (what == "token" && sub == "list") {
      if (words.size() > 2) need(2);
      for (const auto& t : svc.tokens(words.size() == 2 ? std::optional(words[1]) : std::nullopt)) {
        std::cout << t.id << "\t" << t.user << "\t" << (t.label.empty() ? "-" : t.label) << "\tcreated "
                  << date_of(t.created_at) << "\texpires " << date_of(t.expires_at)
                  << (t.revoked_at ? "\trevoked " + date_of(t.revoked_at) : std::string()) << "\n";
      }
    } else {
      throw Error(Errc::invalid_argument, "unknown command: " + what + " " + sub);
    }
    store->flush();
    return 0;
  } catch (const config::ConfigError& e) {
    std::cerr << "camrelay: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "camrelay " << what << ": " << e.what() << "\n";
    if (e.code() == Errc::invalid_argument) std::cerr << kUsage;
    return e.code() == Errc::invalid_argument ? 2 : 1;
  } catch (const std::exception& e) {
    std::cerr << "camrelay " << what << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace camrelay::app
