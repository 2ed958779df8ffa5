// Test certificates made with openssl: a CA, a server certificate for 127.0.0.1 and
// localhost signed by it, and an unrelated second CA (a client trusting only that one must
// refuse the server).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ossl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });

// Returns {dir, ca, caKey, cert, key, otherCa} (paths). Files are world-readable (mosquitto,
// started as root, drops to user "mosquitto" before loading them); a test of camrelay's own
// TLS makes the key private (camrelay refuses a key file every user can read).
export function makeCerts(dir) {
  const f = (n) => path.join(dir, n);
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2',
    '-subj', '/CN=camrelay test CA');
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' +
    'extendedKeyUsage=serverAuth\n');
  signServerCert(dir, f('server.crt'));
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('other-ca.key'), '-out', f('other-ca.crt'),
    '-days', '2', '-subj', '/CN=some other CA');
  fs.chmodSync(dir, 0o755);
  for (const n of fs.readdirSync(dir)) fs.chmodSync(f(n), 0o644);
  return { dir, ca: f('ca.crt'), caKey: f('ca.key'), cert: f('server.crt'), key: f('server.key'), otherCa: f('other-ca.crt') };
}

// Signs the server key's request again (a renewal: same key, new serial and dates) into `out`.
export function signServerCert(dir, out) {
  const f = (n) => path.join(dir, n);
  ossl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', out, '-days', '2', '-extfile', f('ext.cnf'));
  return out;
}

// The serial number (hex, upper case) of a PEM certificate file.
export function serialOf(certPath) {
  const out = ossl('x509', '-noout', '-serial', '-in', certPath).toString();
  return out.trim().replace(/^serial=/, '').toUpperCase();
}
